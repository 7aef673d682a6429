//! The topic names one hub owns, what we subscribe to, and which handler an incoming topic
//! goes to.

/// The retained status payload while we are connected.
pub(crate) const ONLINE: &str = "online";
/// The retained status payload after we left (cleanly, or through the last will).
pub(crate) const OFFLINE: &str = "offline";
/// Rhasspy: the words a satellite heard.
pub(crate) const HERMES_TEXT: &str = "hermes/asr/textCaptured";
/// Rhasspy: a recognised intent; `#` covers every intent name.
const HERMES_INTENTS: &str = "hermes/intent/#";
/// Rhasspy: ends a dialogue session, speaking the text.
pub(crate) const HERMES_END_SESSION: &str = "hermes/dialogueManager/endSession";
/// Rhasspy: speaks the text on a site, outside any session.
pub(crate) const HERMES_SAY: &str = "hermes/tts/say";

/// Which handler an incoming message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// `mirai/<hub_id>/ask`.
    Ask,
    /// `hermes/asr/textCaptured`.
    HermesText,
    /// `hermes/intent/<name>`.
    HermesIntent,
    /// `<discovery prefix>/status`: Home Assistant's birth and last will.
    HaStatus,
    /// `mirai/<hub_id>/autonomous/set`: Home Assistant's switch (`ON`/`OFF`).
    AutonomousSet,
    /// `mirai/<hub_id>/autonomous/run`: Home Assistant's button.
    AutonomousRun,
    /// `mirai/<hub_id>/<backend>/<node>/<entity_id>[/<what>]/set`: a control's command.
    Control,
}

/// One hub's topics.
#[derive(Debug, Clone)]
pub(crate) struct Topics {
    ask: String,
    reply: String,
    status: String,
    autonomous_set: String,
    autonomous_run: String,
    hermes: bool,
    ha_status: Option<String>,
    controls: Option<super::devices::DeviceTopics>,
}

impl Topics {
    /// The topics of hub `hub_id` (already validated: no `/`, `+` or `#`).
    pub(crate) fn new(hub_id: &str, hermes: bool) -> Topics {
        Topics {
            ask: format!("mirai/{hub_id}/ask"),
            reply: format!("mirai/{hub_id}/reply"),
            status: format!("mirai/{hub_id}/status"),
            autonomous_set: format!("mirai/{hub_id}/autonomous/set"),
            autonomous_run: format!("mirai/{hub_id}/autonomous/run"),
            hermes,
            ha_status: None,
            controls: None,
        }
    }

    /// Also listens to the command topics of mirrored entities.
    pub(crate) fn with_controls(mut self, controls: super::devices::DeviceTopics) -> Topics {
        self.controls = Some(controls);
        self
    }

    /// Also listens to Home Assistant's status under discovery prefix `prefix`.
    pub(crate) fn with_ha_status(mut self, prefix: &str) -> Topics {
        self.ha_status = Some(format!("{prefix}/status"));
        self
    }

    /// Where questions arrive.
    pub(crate) fn ask(&self) -> &str {
        &self.ask
    }

    /// Where answers go when the question named no `reply_to`.
    pub(crate) fn reply(&self) -> &str {
        &self.reply
    }

    /// The retained `online`/`offline` topic, also the last will's.
    /// Where sentences of a reply go as they are written.
    pub(crate) fn partial(&self) -> String {
        format!("{}/partial", self.reply)
    }

    pub(crate) fn status(&self) -> &str {
        &self.status
    }

    /// Home Assistant's autonomous switch commands.
    pub(crate) fn autonomous_set(&self) -> &str {
        &self.autonomous_set
    }

    /// Home Assistant's "run a round" button.
    pub(crate) fn autonomous_run(&self) -> &str {
        &self.autonomous_run
    }

    /// Everything to subscribe to on each connect.
    pub(crate) fn subscriptions(&self) -> Vec<String> {
        let mut topics = vec![
            self.ask.clone(),
            self.autonomous_set.clone(),
            self.autonomous_run.clone(),
        ];
        topics.extend(self.ha_status.clone());
        if let Some(controls) = &self.controls {
            topics.extend(controls.subscriptions());
        }
        if self.hermes {
            topics.extend([HERMES_TEXT.to_owned(), HERMES_INTENTS.to_owned()]);
        }
        topics
    }

    /// The handler for a message that arrived on `topic`, if it is one of ours.
    pub(crate) fn route(&self, topic: &str) -> Option<Route> {
        if topic == self.ask {
            Some(Route::Ask)
        } else if self.ha_status.as_deref() == Some(topic) {
            Some(Route::HaStatus)
        } else if topic == self.autonomous_set {
            Some(Route::AutonomousSet)
        } else if topic == self.autonomous_run {
            Some(Route::AutonomousRun)
        } else if self.controls.as_ref().is_some_and(|c| c.is_command(topic)) {
            Some(Route::Control)
        } else if !self.hermes {
            None
        } else if topic == HERMES_TEXT {
            Some(Route::HermesText)
        } else if topic.starts_with("hermes/intent/") {
            Some(Route::HermesIntent)
        } else {
            None
        }
    }

    /// True if we may publish an answer on `topic`: a concrete topic that is not one we
    /// listen on, so a `reply_to` can neither fail the publish nor make us answer ourselves.
    pub(crate) fn is_valid_reply_to(&self, topic: &str) -> bool {
        !topic.is_empty()
            && topic.len() <= super::message::MAX_TOPIC_LEN
            && !topic.contains(['+', '#', '\0'])
            && self.route(topic).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_only_our_topics() {
        let t = Topics::new("kitchen", true);
        assert_eq!(t.route("mirai/kitchen/ask"), Some(Route::Ask));
        assert_eq!(t.route("mirai/hall/ask"), None);
        assert_eq!(t.route("mirai/kitchen/reply"), None);
        assert_eq!(t.route(HERMES_TEXT), Some(Route::HermesText));
        assert_eq!(t.route("hermes/intent/GetTime"), Some(Route::HermesIntent));
        let plain = Topics::new("kitchen", false);
        assert_eq!(plain.route(HERMES_TEXT), None);
        let ours = [
            "mirai/kitchen/ask",
            "mirai/kitchen/autonomous/set",
            "mirai/kitchen/autonomous/run",
        ];
        assert_eq!(plain.subscriptions(), ours);
        assert_eq!(t.subscriptions().len(), 5);
        assert_eq!(
            t.route("mirai/kitchen/autonomous/set"),
            Some(Route::AutonomousSet)
        );
        assert_eq!(
            t.route("mirai/kitchen/autonomous/run"),
            Some(Route::AutonomousRun)
        );
        let ha = Topics::new("kitchen", false).with_ha_status("homeassistant");
        assert_eq!(ha.route("homeassistant/status"), Some(Route::HaStatus));
        assert_eq!(ha.subscriptions()[3], "homeassistant/status");
        assert!(!ha.is_valid_reply_to("homeassistant/status"));
        let devices = super::super::devices::DeviceTopics::new("kitchen", None);
        let c = Topics::new("kitchen", false).with_controls(devices);
        let set = "mirai/kitchen/zwave/5/light.zwave_5/set";
        assert_eq!(c.route(set), Some(Route::Control));
        let brightness = "mirai/kitchen/zwave/5/light.zwave_5/brightness/set";
        assert_eq!(c.route(brightness), Some(Route::Control));
        assert_eq!(c.route("mirai/kitchen/zwave/5/light.zwave_5"), None);
        assert_eq!(c.route("mirai/hall/zwave/5/light.zwave_5/set"), None);
        assert_eq!(
            c.subscriptions().len(),
            5,
            "ask, the autonomous pair, and the controls"
        );
    }

    #[test]
    fn reply_to_must_be_concrete_and_not_ours() {
        let t = Topics::new("kitchen", true);
        assert!(t.is_valid_reply_to("app/phone/1"));
        for bad in ["", "a/+/b", "a/#", "mirai/kitchen/ask", "hermes/intent/x"] {
            assert!(!t.is_valid_reply_to(bad), "{bad}");
        }
    }
}
