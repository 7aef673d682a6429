//! What the terminal shows: replies with their actions, lists of pairs, history, and the
//! colours (ANSI, only when the session allows them). Pure: text in, text out.

use crate::agent::{ActionReport, Reply};
use crate::devices::ServiceCall;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Paints text, or leaves it plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Palette {
    color: bool,
}

impl Palette {
    /// A palette that paints when `color` is true.
    pub(crate) fn new(color: bool) -> Self {
        Palette { color }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    /// Something that worked.
    pub(crate) fn good(self, text: &str) -> String {
        self.paint(GREEN, text)
    }

    /// Something refused or failed.
    pub(crate) fn bad(self, text: &str) -> String {
        self.paint(RED, text)
    }

    /// Something waiting for the person.
    pub(crate) fn ask(self, text: &str) -> String {
        self.paint(YELLOW, text)
    }

    /// Asides: hints, notices.
    pub(crate) fn dim(self, text: &str) -> String {
        self.paint(DIM, text)
    }

    /// Names worth noticing.
    pub(crate) fn bold(self, text: &str) -> String {
        self.paint(BOLD, text)
    }
}

/// The reply text, then one line per action and per call awaiting confirmation.
pub(crate) fn reply(p: Palette, reply: &Reply) -> String {
    let mut out = String::new();
    if let Some(category) = &reply.blocked {
        out.push_str(&p.bad(&format!("✗ blocked by the safety gate ({category})")));
        out.push('\n');
    }
    if !reply.text.is_empty() {
        out.push_str(&reply.text);
        out.push('\n');
    }
    for action in &reply.actions {
        out.push_str(&format!("  {}\n", action_line(p, action)));
    }
    let listed = |call: &ServiceCall| {
        reply
            .actions
            .iter()
            .any(|a| a.outcome == "pending_confirmation" && &a.call == call)
    };
    for call in reply.pending_confirmation.iter().filter(|c| !listed(c)) {
        let line = format!("? {}: say yes to confirm", call_name(call));
        out.push_str(&format!("  {}\n", p.ask(&line)));
    }
    out
}

fn action_line(p: Palette, action: &ActionReport) -> String {
    let name = call_name(&action.call);
    let detail = if action.detail.is_empty() {
        String::new()
    } else {
        format!(": {}", action.detail)
    };
    match action.outcome.as_str() {
        "done" => p.good(&format!("✓ {name}{detail}")),
        "pending_confirmation" => p.ask(&format!("? {name}{detail} (say yes to confirm)")),
        "refused" | "failed" | "denied" => p.bad(&format!("✗ {name} {}{detail}", action.outcome)),
        other => format!("· {name} {other}{detail}"),
    }
}

/// `light.kitchen turn_on`, as a person reads a call.
fn call_name(call: &ServiceCall) -> String {
    format!("{} {}", call.entity_id, call.service)
}

/// `key = value` lines, or `empty` when there are none.
pub(crate) fn pairs(p: Palette, pairs: &[(String, String)], sep: &str, empty: &str) -> String {
    if pairs.is_empty() {
        return format!("{}\n", p.dim(empty));
    }
    let width = pairs
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{}{sep}{v}\n", p.bold(&format!("{k:<width$}"))))
        .collect()
}

/// The messages of a session, one `role: text` per message.
pub(crate) fn history(p: Palette, messages: &[(String, String)]) -> String {
    if messages.is_empty() {
        return format!("{}\n", p.dim("(no messages in this session yet)"));
    }
    messages
        .iter()
        .map(|(role, text)| format!("{} {text}\n", p.bold(&format!("{role}:"))))
        .collect()
}

/// The first line a person sees.
pub(crate) fn greeting(p: Palette, user: &str, session: &str) -> String {
    format!(
        "MIRAI terminal: {} in session {}. /help lists the commands; Ctrl-D or /quit leaves.\n",
        p.bold(user),
        p.bold(session)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::wire::Usage;

    fn action(outcome: &str, detail: &str) -> ActionReport {
        ActionReport {
            call: ServiceCall::new("light.kitchen", "turn_on"),
            outcome: outcome.into(),
            detail: detail.into(),
            response: None,
        }
    }

    fn a_reply(text: &str) -> Reply {
        Reply {
            text: text.into(),
            actions: vec![],
            blocked: None,
            pending_confirmation: vec![],
            usage: Usage::default(),
            session: "s".into(),
            via: "model".into(),
        }
    }

    const PLAIN: Palette = Palette { color: false };

    #[test]
    fn actions_are_listed_under_the_text() {
        let mut r = a_reply("Done.");
        r.actions = vec![
            action("done", "on"),
            action("denied", "not allowed at night"),
            action("failed", ""),
        ];
        assert_eq!(
            reply(PLAIN, &r),
            "Done.\n  ✓ light.kitchen turn_on: on\n  \
             ✗ light.kitchen turn_on denied: not allowed at night\n  \
             ✗ light.kitchen turn_on failed\n"
        );
    }

    #[test]
    fn confirmations_say_how_to_confirm_once() {
        let mut r = a_reply("Unlock the front door?");
        r.actions = vec![action("pending_confirmation", "")];
        r.pending_confirmation = vec![
            ServiceCall::new("light.kitchen", "turn_on"),
            ServiceCall::new("lock.front", "unlock"),
        ];
        let text = reply(PLAIN, &r);
        assert_eq!(text.matches("say yes to confirm").count(), 2, "{text}");
        assert!(
            text.contains("? lock.front unlock: say yes to confirm"),
            "{text}"
        );
    }

    #[test]
    fn a_blocked_request_says_so() {
        let mut r = a_reply("I can't help with that.");
        r.blocked = Some("weapons".into());
        let text = reply(PLAIN, &r);
        assert!(
            text.starts_with("✗ blocked by the safety gate (weapons)\n"),
            "{text}"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let mut r = a_reply("ok");
        r.actions = vec![action("done", "")];
        assert!(!reply(PLAIN, &r).contains('\x1b'));
        assert!(reply(Palette::new(true), &r).contains(GREEN));
    }

    #[test]
    fn pairs_align_and_say_when_empty() {
        let rows = vec![
            ("a".to_owned(), "1".to_owned()),
            ("long".to_owned(), "2".to_owned()),
        ];
        assert_eq!(pairs(PLAIN, &rows, " = ", "none"), "a    = 1\nlong = 2\n");
        assert_eq!(pairs(PLAIN, &[], " = ", "(none)"), "(none)\n");
    }

    #[test]
    fn history_lists_role_and_text() {
        let rows = vec![("user".to_owned(), "hi".to_owned())];
        assert_eq!(history(PLAIN, &rows), "user: hi\n");
        assert!(history(PLAIN, &[]).contains("no messages"));
    }
}
