//! Service calls that arrive as calls, not words: a Home Assistant control on an MQTT command
//! topic. They pass the same action gate as any spoken command; there is no one to ask for a
//! confirmation, so a call the gate wants confirmed is not carried out.

use super::tools;
use super::{ActionReport, Agent, Gate, TurnLog};
use crate::devices::ServiceCall;

impl Agent {
    /// Carries out `call` from front end `source` through the action gate.
    pub fn act(&self, call: &ServiceCall, source: &str) -> ActionReport {
        let gate = match self.gate_for(call) {
            Gate::Confirm(reason) => Gate::Deny(format!(
                "{reason}; a control cannot confirm, so ask for it in words"
            )),
            other => other,
        };
        let mut log = TurnLog::default();
        let report = tools::act(self.registry(), &gate, call, &mut log);
        tracing::info!(source, entity = %call.entity_id, service = %call.service,
                       outcome = %report.outcome, "control");
        report
    }
}
