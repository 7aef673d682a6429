//! Device-condition triggers: "if the garage door stays open 10 minutes". Pure: the scheduler
//! reports what it sees each time it looks, and [`Watch`] says when a condition has held long
//! enough. A condition fires once per stretch; it is armed again when it stops holding.

use std::collections::HashMap;

/// What one trigger has seen.
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// Unix milliseconds the condition was first seen holding.
    since: i64,
    /// It fired during this stretch.
    fired: bool,
}

/// The triggers' memory between looks.
#[derive(Debug, Default)]
pub struct Watch {
    seen: HashMap<i64, Seen>,
}

impl Watch {
    /// No trigger has seen anything yet.
    pub fn new() -> Watch {
        Watch::default()
    }

    /// Task `task`'s condition `holds` (or not) at `now`; true when it has held for `hold_ms`
    /// and has not fired in this stretch.
    pub fn observe(&mut self, task: i64, holds: bool, now: i64, hold_ms: i64) -> bool {
        if !holds {
            self.seen.remove(&task);
            return false;
        }
        let seen = self.seen.entry(task).or_insert(Seen {
            since: now,
            fired: false,
        });
        if !seen.fired && now - seen.since >= hold_ms {
            seen.fired = true;
            return true;
        }
        false
    }

    /// When task `task` fires if its condition keeps holding; `None` when it is not holding
    /// or has fired.
    pub fn due(&self, task: i64, hold_ms: i64) -> Option<i64> {
        self.seen
            .get(&task)
            .filter(|s| !s.fired)
            .map(|s| s.since + hold_ms)
    }

    /// Forgets tasks that are gone.
    pub fn retain(&mut self, alive: impl Fn(i64) -> bool) {
        self.seen.retain(|task, _| alive(*task));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_once_after_the_hold_and_rearms_when_it_clears() {
        let mut w = Watch::new();
        assert!(!w.observe(1, true, 0, 600_000), "just opened");
        assert_eq!(w.due(1, 600_000), Some(600_000));
        assert!(!w.observe(1, true, 599_999, 600_000));
        assert!(w.observe(1, true, 600_000, 600_000), "held ten minutes");
        assert!(!w.observe(1, true, 700_000, 600_000), "once per stretch");
        assert_eq!(w.due(1, 600_000), None);
        assert!(!w.observe(1, false, 800_000, 600_000), "closed");
        assert!(
            !w.observe(1, true, 900_000, 600_000),
            "open again: the clock restarts"
        );
        assert!(w.observe(1, true, 1_500_000, 600_000));
    }

    #[test]
    fn a_blip_shorter_than_the_hold_never_fires() {
        let mut w = Watch::new();
        assert!(!w.observe(7, true, 0, 1_000));
        assert!(!w.observe(7, false, 500, 1_000));
        assert!(!w.observe(7, true, 1_200, 1_000));
        assert!(!w.observe(7, true, 2_100, 1_000));
        assert!(w.observe(7, true, 2_200, 1_000));
    }

    #[test]
    fn no_hold_fires_at_the_first_look_and_tasks_are_independent() {
        let mut w = Watch::new();
        assert!(w.observe(1, true, 5, 0));
        assert!(!w.observe(2, false, 5, 0));
        w.retain(|t| t != 1);
        assert!(w.observe(1, true, 6, 0), "forgotten, so armed again");
    }
}
