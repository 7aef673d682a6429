//! Actions waiting for a "yes": held in memory per user and session (so the yes may come
//! from another process), confirmed by a plain yes from the same person, cancelled by
//! anything else or by time.

use super::persona::Lang;
use super::tools;
use super::{Agent, Gate, Reply, Request, TurnLog};
use crate::devices::ServiceCall;
use crate::memory::AuditVerdict;

impl Agent {
    /// A pending confirmation: "yes" runs it, anything else cancels it. True when the
    /// request was only that answer.
    pub(super) fn confirmation(&self, req: &Request, lang: Lang, reply: &mut Reply) -> bool {
        let Some(calls) = self.take_pending(req) else {
            return false;
        };
        let names: Vec<String> = calls.iter().map(|c| self.name_of(&c.entity_id)).collect();
        if super::safety::is_yes(&req.text) {
            let mut log = TurnLog::default();
            for call in &calls {
                tools::act(&self.registry, &Gate::Allow, call, &mut log);
                self.audit(
                    req,
                    AuditVerdict::Confirmed,
                    None,
                    &format!("{} {}", call.entity_id, call.service),
                );
            }
            reply.text = self.describe_actions(&log, lang);
            reply.actions = log.actions;
            reply.via = "confirmation".into();
            return true;
        }
        self.audit(req, AuditVerdict::Cancelled, None, &names.join(", "));
        if super::safety::is_no(&req.text) {
            reply.text = format!(
                "{} {}.",
                lang.pick("Cancelled:", "Отменено:"),
                names.join(", ")
            );
            reply.via = "confirmation".into();
            return true;
        }
        false
    }

    /// Keeps the calls that wait for a "yes".
    pub(super) fn hold_pending(&self, req: &Request, log: &TurnLog) {
        if log.pending.is_empty() {
            return;
        }
        let calls = serde_json::to_string(&log.pending).unwrap_or_default();
        let expires = crate::clock::now_ms() + self.settings.confirm_timeout.as_millis() as i64;
        for call in &log.pending {
            self.audit(
                req,
                AuditVerdict::Confirm,
                None,
                &format!("{} {}", call.entity_id, call.service),
            );
        }
        let _ = self.with_memory(|m| m.set_pending(&req.user, &req.session, &calls, expires));
    }

    /// What waited for this user and session, if it has not expired.
    fn take_pending(&self, req: &Request) -> Option<Vec<ServiceCall>> {
        let (calls, expires) = self
            .with_memory(|m| m.take_pending(&req.user, &req.session))
            .ok()??;
        if expires < crate::clock::now_ms() {
            self.audit(req, AuditVerdict::Cancelled, None, "expired");
            return None;
        }
        serde_json::from_str(&calls).ok()
    }

    fn describe_actions(&self, log: &TurnLog, lang: Lang) -> String {
        let lines: Vec<String> = log
            .actions
            .iter()
            .map(|a| {
                let name = self.name_of(&a.call.entity_id);
                match a.outcome.as_str() {
                    "done" => format!("{name}: {}", a.detail),
                    _ => format!(
                        "{name}: {} ({})",
                        lang.pick("not done", "не выполнено"),
                        a.detail
                    ),
                }
            })
            .collect();
        format!("{} {}.", lang.pick("Done —", "Готово —"), lines.join("; "))
    }
}
