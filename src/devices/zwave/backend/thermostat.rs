//! Thermostat calls: Mode Set or Setpoint Set, then the Get that reads it back, and the
//! outcome from what the node reports, as with the switches.

use super::super::controller::{NodeReport, Zwave};
use super::super::entities::Climate;
use super::{ZwaveBackend, refusal};
use crate::devices::{Backend, DeviceError, Outcome};

impl ZwaveBackend {
    /// Sets a thermostat's mode or setpoint and reads it back.
    pub(super) fn set_thermostat(
        &self,
        plan: Climate,
        zwave: Zwave,
    ) -> Result<Outcome, DeviceError> {
        let (node, target, query) = (plan.node, plan.target, plan.query);
        let done = self.block(async move {
            zwave.set(node, target).await?;
            zwave.get(node, query).await
        })?;
        let name = self.shared.lock().nodes.name(node);
        let report = match done {
            Ok(report) => report,
            Err(err) => return refusal(&name, node, err),
        };
        let met = plan.met(&report);
        self.shared.update(|i| {
            i.nodes.apply(&NodeReport { node, report });
        });
        let now = self.entity(&format!("climate.zwave_{node}"));
        let state = now
            .as_ref()
            .map_or("unknown", |e| e.state.as_str())
            .to_owned();
        if met {
            return Ok(Outcome::Done { state });
        }
        let setpoint = now
            .as_ref()
            .and_then(|e| e.attributes.get("temperature"))
            .map(|t| format!(", set to {t}"))
            .unwrap_or_default();
        Ok(Outcome::Refused {
            reason: format!("{name} did not take it: it reports {state}{setpoint}"),
        })
    }
}
