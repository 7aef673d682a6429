//! Reflection: the reply checked against what the tools really did. A reply that claims an
//! action no tool performed is replaced; failures and pending confirmations it leaves out
//! are added.

use super::TurnLog;
use super::persona::Lang;

/// Words that claim something was done to a device.
const CLAIMS: &[&str] = &[
    "turned on",
    "turned off",
    "switched on",
    "switched off",
    "i've set",
    "i have set",
    "set the",
    "unlocked",
    "locked the",
    "opened",
    "closed the",
    "i've turned",
    "done.",
    "включил",
    "выключил",
    "открыл",
    "закрыл",
    "запер",
    "отпер",
    "установил",
    "поставил",
    "готово",
];

/// Words that admit something went wrong or waits.
const ADMISSIONS: &[&str] = &[
    "couldn't",
    "could not",
    "failed",
    "can't",
    "cannot",
    "confirm",
    "not able",
    "unable",
    "не удалось",
    "не смог",
    "не могу",
    "подтверд",
    "ошибк",
];

/// Checks the reply against what the tools did: a claimed action that no tool performed is
/// replaced, and failures or pending confirmations the reply leaves out are added.
pub(crate) fn reflect(reply: &str, log: &TurnLog, lang: Lang) -> (String, String) {
    let lower = reply.to_lowercase();
    let done = log.actions.iter().filter(|a| a.outcome == "done").count();
    let claims = CLAIMS.iter().any(|c| lower.contains(c));
    let admits = ADMISSIONS.iter().any(|c| lower.contains(c));
    let mut text = reply.trim().to_owned();
    let mut notes = Vec::new();
    if claims && done == 0 {
        notes.push("the reply claimed an action no tool performed; corrected");
        text = lang
            .pick(
                "I haven't changed any device.",
                "Я не изменила ни одного устройства.",
            )
            .to_owned();
    }
    if log.exhausted && text.is_empty() {
        notes.push("stopped at the step limit");
        text = lang
            .pick(
                "I stopped before finishing: the task took too many steps.",
                "Я остановилась: задача заняла слишком много шагов.",
            )
            .to_owned();
    }
    let failed: Vec<String> = log
        .actions
        .iter()
        .filter(|a| matches!(a.outcome.as_str(), "refused" | "failed" | "denied"))
        .map(|a| format!("{} {}: {}", a.call.entity_id, a.call.service, a.detail))
        .collect();
    if !failed.is_empty() && (!admits || notes.iter().any(|n| n.contains("corrected"))) {
        notes.push("failures added to the reply");
        text = format!(
            "{text} {} {}",
            lang.pick("Not done:", "Не выполнено:"),
            failed.join("; ")
        );
    }
    if !log.pending.is_empty() && !admits {
        notes.push("pending confirmation added to the reply");
        let what: Vec<&str> = log.pending.iter().map(|c| c.entity_id.as_str()).collect();
        text = format!(
            "{text} {} {}",
            lang.pick("Say yes to confirm:", "Скажите «да», чтобы подтвердить:"),
            what.join(", ")
        );
    }
    let reflection = if notes.is_empty() {
        "the reply matches what was done".to_owned()
    } else {
        notes.join("; ")
    };
    (text.trim().to_owned(), reflection)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::request::ActionReport;
    use crate::devices::ServiceCall;

    fn log_with(outcome: &str) -> TurnLog {
        let mut log = TurnLog::default();
        log.actions.push(ActionReport {
            call: ServiceCall::new("light.kitchen", "turn_on"),
            outcome: outcome.into(),
            detail: "x".into(),
            response: None,
        });
        log
    }

    #[test]
    fn a_claimed_action_without_a_tool_is_corrected() {
        let (text, note) = reflect(
            "Done. I turned on the kitchen light.",
            &TurnLog::default(),
            Lang::En,
        );
        assert_eq!(text, "I haven't changed any device.");
        assert!(note.contains("corrected"));
        let (text, note) = reflect(
            "I turned on the kitchen light.",
            &log_with("done"),
            Lang::En,
        );
        assert_eq!(text, "I turned on the kitchen light.");
        assert_eq!(note, "the reply matches what was done");
    }

    #[test]
    fn failures_and_pending_confirmations_are_told() {
        let (text, _) = reflect("All set!", &log_with("refused"), Lang::En);
        assert!(
            text.contains("Not done: light.kitchen turn_on: x"),
            "{text}"
        );
        let mut log = TurnLog::default();
        log.pending
            .push(ServiceCall::new("lock.front_door", "unlock"));
        let (text, _) = reflect("Sure.", &log, Lang::Ru);
        assert!(text.contains("подтвердить: lock.front_door"), "{text}");
    }
}
