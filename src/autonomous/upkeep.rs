//! The hub's own housekeeping, run by the scheduler like any task (kind `upkeep`): the
//! memory's retention cleanup, a backup of the database into `backups/` in the data folder
//! (keeping the newest few), and a fresh `mirai_identity.json` (what the hub is and what its
//! memory holds now).

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::plan::{OnInterrupt, Plan, When};
use crate::clock::now_ms;
use crate::memory::{Memory, MemoryError, TaskKind};
use crate::telemetry::identity::Identity;

/// What the upkeep task says it does (its description in the task list).
const DESCRIPTION: &str = "upkeep: memory retention cleanup, backup and identity refresh";

/// The upkeep job's settings.
#[derive(Debug, Clone)]
pub struct Upkeep {
    /// When it runs, in the hub's time zone.
    pub cron: String,
    /// Where backups go; `None`: no backups, cleanup only.
    pub backup_dir: Option<PathBuf>,
    /// Backups kept (the oldest are removed).
    pub keep_backups: usize,
    /// The hub's description and the data folder it is written to; `None`: not refreshed.
    pub identity: Option<(Identity, PathBuf)>,
}

impl Upkeep {
    /// Makes sure exactly one upkeep task with this schedule waits: a task with another
    /// schedule (the config changed) is cancelled and replaced.
    pub fn ensure_task(&self, memory: &mut Memory, tz: &TimeZone) -> Result<(), MemoryError> {
        let plan = Plan {
            on_interrupt: OnInterrupt::Retry,
            max_attempts: 3,
            ..Plan::new(When::Cron(self.cron.clone()))
        };
        let mut have = false;
        for task in memory.scheduled_tasks()? {
            if task.kind != TaskKind::Upkeep {
                continue;
            }
            if !have && task.plan.as_deref() == Some(plan.to_json().as_str()) {
                have = true;
            } else {
                memory.cancel_task(task.id)?;
            }
        }
        if have {
            return Ok(());
        }
        plan.validate()
            .map_err(|e| MemoryError::InvalidInput(format!("services.autonomous.upkeep: {e}")))?;
        let next = plan
            .first_run(Timestamp::now(), tz)
            .map(|t| t.as_millisecond());
        memory.add_scheduled(
            TaskKind::Upkeep,
            "mirai",
            DESCRIPTION,
            &plan.to_json(),
            next,
        )?;
        Ok(())
    }

    /// Cleans up and backs up; what it did in one line, or why not.
    pub fn run(&self, memory: &mut Memory) -> Result<String, String> {
        let cleaned = memory
            .cleanup(now_ms())
            .map_err(|e| format!("cleanup failed: {e}"))?;
        let mut summary = format!(
            "cleanup removed {} messages, {} tasks, {} sessions",
            cleaned.messages, cleaned.tasks, cleaned.sessions
        );
        if let Some(dir) = &self.backup_dir {
            let stamp = Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
            let path = dir.join(format!("mirai-{stamp}.db"));
            let report = memory
                .backup_to(&path)
                .map_err(|e| format!("{summary}; backup failed: {e}"))?;
            let removed = prune(dir, self.keep_backups);
            summary.push_str(&format!(
                "; backup {} ({} bytes){}",
                path.display(),
                report.bytes,
                if removed > 0 {
                    format!(", {removed} old backups removed")
                } else {
                    String::new()
                }
            ));
        }
        if let Some((template, dir)) = &self.identity {
            let mut identity = template.clone();
            identity.stats = memory.stats().ok();
            identity.generated_at = crate::clock::rfc3339_ms(now_ms());
            match identity.write_to(dir) {
                Ok(path) => summary.push_str(&format!("; identity {}", path.display())),
                Err(e) => return Err(format!("{summary}; identity not written: {e}")),
            }
        }
        Ok(summary)
    }
}

/// Removes all but the newest `keep` backups (`mirai-*.db`, named by time); how many went.
fn prune(dir: &std::path::Path, keep: usize) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut backups: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("mirai-") && n.ends_with(".db"))
        })
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(keep);
    backups
        .iter()
        .take(excess)
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Settings;

    #[test]
    fn one_upkeep_task_waits_and_a_new_schedule_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Memory::open(&dir.path().join("m.db"), &Settings::default()).unwrap();
        let upkeep = Upkeep {
            cron: "30 3 * * *".into(),
            backup_dir: None,
            keep_backups: 3,
            identity: None,
        };
        upkeep.ensure_task(&mut m, &TimeZone::UTC).unwrap();
        upkeep.ensure_task(&mut m, &TimeZone::UTC).unwrap();
        let tasks = m.scheduled_tasks().unwrap();
        assert_eq!(tasks.len(), 1, "not twice");
        assert!(tasks[0].next_run.is_some());
        let other = Upkeep {
            cron: "0 4 * * *".into(),
            ..upkeep
        };
        other.ensure_task(&mut m, &TimeZone::UTC).unwrap();
        let tasks = m.scheduled_tasks().unwrap();
        assert_eq!(tasks.len(), 1);
        assert!(tasks[0].plan.as_deref().unwrap().contains("0 4 * * *"));
        let bad = Upkeep {
            cron: "soon".into(),
            backup_dir: None,
            keep_backups: 1,
            identity: None,
        };
        let err = bad
            .ensure_task(&mut m, &TimeZone::UTC)
            .unwrap_err()
            .to_string();
        assert!(err.contains("services.autonomous.upkeep"), "{err}");
    }

    #[test]
    fn a_run_backs_up_and_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Memory::open(&dir.path().join("m.db"), &Settings::default()).unwrap();
        let backups = dir.path().join("backups");
        std::fs::create_dir_all(&backups).unwrap();
        for old in ["mirai-20200101T000000Z.db", "mirai-20210101T000000Z.db"] {
            std::fs::write(backups.join(old), b"old").unwrap();
        }
        std::fs::write(backups.join("notes.txt"), b"mine").unwrap();
        let config = crate::config::Config::from_text(
            "",
            crate::config::Origin::Defaults,
            Some(dir.path()),
            &crate::config::Env::default(),
        )
        .unwrap();
        let stale = Identity::new(&config, None);
        let upkeep = Upkeep {
            cron: "@daily".into(),
            backup_dir: Some(backups.clone()),
            keep_backups: 2,
            identity: Some((stale, dir.path().to_owned())),
        };
        m.save_preference("ana", "units", "metric").unwrap();
        let summary = upkeep.run(&mut m).unwrap();
        assert!(summary.contains("backup"), "{summary}");
        let written: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(crate::telemetry::identity::FILE_NAME)).unwrap(),
        )
        .unwrap();
        assert_eq!(
            written["stats"]["preferences"], 1,
            "the identity says what the memory holds now: {written}"
        );
        let mut names: Vec<String> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 3, "{names:?}");
        assert_eq!(names[0], "mirai-20210101T000000Z.db", "the oldest went");
        assert!(names.contains(&"notes.txt".to_owned()), "other files stay");
        let fresh = backups.join(&names[1]);
        assert!(
            Memory::open(&fresh, &Settings::default()).is_ok(),
            "the backup opens"
        );
    }
}
