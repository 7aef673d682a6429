//! Where a task's result goes: spoken on a satellite, on the hub's MQTT reply topic, through a
//! Home Assistant notify service, or only into memory (its run records it in every case).

use std::sync::Arc;

use serde_json::json;

use super::plan::Deliver;
use crate::devices::home_assistant::HomeAssistant;
use crate::frontends::mqtt::Outbox;

/// The ways out the daemon has; a missing one makes delivery through it an error.
#[derive(Clone, Default)]
pub struct Outlets {
    /// The MQTT front end (speech and the reply topic).
    pub mqtt: Option<Arc<Outbox>>,
    /// Home Assistant (notify services).
    pub home_assistant: Option<Arc<HomeAssistant>>,
}

impl std::fmt::Debug for Outlets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outlets")
            .field("mqtt", &self.mqtt.is_some())
            .field("home_assistant", &self.home_assistant.is_some())
            .finish()
    }
}

impl Outlets {
    /// Sends `text`, the result of run `run_id` of task `task`, where `deliver` says.
    pub fn deliver(
        &self,
        deliver: &Deliver,
        task: i64,
        session: &str,
        text: &str,
    ) -> Result<(), String> {
        let id = format!("task-{task}");
        match deliver {
            Deliver::Memory => Ok(()),
            Deliver::Mqtt => self.mqtt()?.reply(json!({
                "id": id, "text": text, "actions": [], "session_id": session,
                "source": "autonomous", "task_id": task,
            })),
            Deliver::Speech(site) => self.mqtt()?.say(site, text, &id),
            Deliver::Notify(service) => self
                .home_assistant
                .as_ref()
                .ok_or("notify needs Home Assistant (home_assistant.enabled is off)")?
                .notify(service, text)
                .map_err(|e| format!("Home Assistant: {e}")),
        }
    }

    /// Why `deliver` cannot go out right now although it could later: MQTT is configured
    /// but not connected. `None` when it can go (or never could: then delivering says why).
    pub fn away(&self, deliver: &Deliver) -> Option<String> {
        match (deliver, &self.mqtt) {
            (Deliver::Mqtt | Deliver::Speech(_), Some(outbox)) if !outbox.connected() => {
                Some("the MQTT broker is not connected; results for it wait".into())
            }
            _ => None,
        }
    }

    fn mqtt(&self) -> Result<&Outbox, String> {
        self.mqtt
            .as_deref()
            .ok_or_else(|| "MQTT is off (mqtt.enabled: false)".to_owned())
    }
}
