use super::*;
use crate::memory::Settings;

fn memory() -> (tempfile::TempDir, Memory) {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::open(&dir.path().join("m.db"), &Settings::default()).unwrap();
    (dir, memory)
}

const PLAN: &str = r#"{"when":{"at":1}}"#;

#[test]
fn a_due_task_is_claimed_once_and_its_run_recorded() {
    let (_d, mut m) = memory();
    let id = m
        .add_scheduled(
            TaskKind::Reminder,
            "ann",
            "water the plants",
            PLAN,
            Some(1_000),
        )
        .unwrap();
    assert!(m.due_tasks(999).unwrap().is_empty(), "not before its time");
    assert_eq!(m.due_tasks(1_000).unwrap()[0].id, id);
    assert_eq!(m.next_due(0).unwrap(), Some(1_000));
    assert_eq!(m.next_due(1_000).unwrap(), None, "strictly after");

    let run = m.claim_task(id).unwrap().expect("claimed");
    assert_eq!(
        m.claim_task(id).unwrap(),
        None,
        "a running task cannot be claimed again"
    );
    assert!(
        m.due_tasks(2_000).unwrap().is_empty(),
        "running tasks are not due"
    );
    let task = m.scheduled(id).unwrap();
    assert_eq!((task.status, task.attempts), (TaskStatus::Running, 1));

    let end = RunEnd {
        ok: true,
        result: "said it",
        next_run: None,
        recurring: false,
        tokens: 42,
    };
    m.finish_run(id, run, &end, "2026-11-29").unwrap();
    let task = m.scheduled(id).unwrap();
    assert_eq!(task.status, TaskStatus::Done);
    assert_eq!(task.result.as_deref(), Some("said it"));
    let runs = m.task_runs(Some(id), 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].kind, runs[0].status, runs[0].parent_id),
        (TaskKind::Run, TaskStatus::Done, Some(id))
    );
    assert_eq!(runs[0].user, "ann");
    assert_eq!(m.autonomous_usage("2026-11-29").unwrap(), (1, 42));
    assert!(
        m.scheduled_tasks().unwrap().is_empty(),
        "finished tasks leave the list"
    );
}

#[test]
fn a_recurring_task_is_pending_again_at_its_next_run() {
    let (_d, mut m) = memory();
    let id = m
        .add_scheduled(TaskKind::Scheduled, "ann", "weather", PLAN, Some(10))
        .unwrap();
    let run = m.claim_task(id).unwrap().unwrap();
    let end = RunEnd {
        ok: false,
        result: "model away",
        next_run: Some(500),
        recurring: true,
        tokens: 0,
    };
    m.finish_run(id, run, &end, "d").unwrap();
    let task = m.scheduled(id).unwrap();
    assert_eq!(
        (task.status, task.next_run, task.attempts),
        (TaskStatus::Pending, Some(500), 1)
    );
    let run = m.claim_task(id).unwrap().unwrap();
    let end = RunEnd {
        ok: true,
        result: "sunny",
        next_run: Some(900),
        recurring: true,
        tokens: 5,
    };
    m.finish_run(id, run, &end, "d").unwrap();
    assert_eq!(
        m.scheduled(id).unwrap().attempts,
        0,
        "a success resets the attempts"
    );
    assert_eq!(m.task_runs(Some(id), 10).unwrap().len(), 2);
    assert_eq!(m.autonomous_usage("d").unwrap(), (2, 5));
}

#[test]
fn interrupted_tasks_are_retried_or_failed_by_policy_and_never_left_running() {
    let (_d, mut m) = memory();
    let retry = m
        .add_scheduled(TaskKind::Reminder, "a", "retry me", PLAN, Some(1))
        .unwrap();
    let fail = m
        .add_scheduled(TaskKind::Scheduled, "a", "fail me", PLAN, Some(1))
        .unwrap();
    m.claim_task(retry).unwrap().unwrap();
    m.claim_task(fail).unwrap().unwrap();
    let got = m.recover_interrupted(|t| t.id == retry).unwrap();
    assert_eq!(
        got,
        vec![Recovered::Retried(retry), Recovered::Failed(fail)]
    );
    let r = m.scheduled(retry).unwrap();
    assert_eq!(r.status, TaskStatus::Pending);
    assert!(r.next_run.is_some());
    assert_eq!(m.scheduled(fail).unwrap().status, TaskStatus::Failed);
    let runs = m.task_runs(None, 10).unwrap();
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter().all(|r| r.status == TaskStatus::Failed
            && r.result.as_deref().unwrap().contains("interrupted"))
    );
}

#[test]
fn cancelling_stops_a_task_and_a_run_that_ends_later_does_not_revive_it() {
    let (_d, mut m) = memory();
    let id = m
        .add_scheduled(TaskKind::Scheduled, "a", "x", PLAN, Some(1))
        .unwrap();
    let run = m.claim_task(id).unwrap().unwrap();
    assert!(m.cancel_task(id).unwrap());
    assert!(!m.cancel_task(id).unwrap(), "already cancelled");
    let end = RunEnd {
        ok: true,
        result: "done",
        next_run: Some(99),
        recurring: true,
        tokens: 0,
    };
    m.finish_run(id, run, &end, "d").unwrap();
    assert_eq!(m.scheduled(id).unwrap().status, TaskStatus::Cancelled);
    assert!(matches!(
        m.cancel_task(run),
        Err(MemoryError::InvalidInput(_))
    ));
    assert!(matches!(
        m.cancel_task(12345),
        Err(MemoryError::NotFound { .. })
    ));
}

#[test]
fn run_now_moves_the_next_run_of_pending_tasks_only() {
    let (_d, mut m) = memory();
    let id = m
        .add_scheduled(TaskKind::Scheduled, "a", "x", PLAN, Some(5_000))
        .unwrap();
    m.reschedule_task(id, 7).unwrap();
    assert_eq!(m.due_tasks(7).unwrap().len(), 1);
    m.cancel_task(id).unwrap();
    let err = m.reschedule_task(id, 7).unwrap_err().to_string();
    assert!(err.contains("cancelled, not pending"), "{err}");
}

#[test]
fn bad_tasks_are_refused() {
    let (_d, mut m) = memory();
    assert!(
        m.add_scheduled(TaskKind::Reminder, "a", "  ", PLAN, None)
            .is_err()
    );
    assert!(
        m.add_scheduled(TaskKind::Run, "a", "x", PLAN, None)
            .is_err()
    );
    assert!(
        m.add_scheduled(TaskKind::Request, "a", "x", PLAN, None)
            .is_err()
    );
}

#[test]
fn agent_turns_are_not_scheduler_tasks() {
    let (_d, mut m) = memory();
    let turn = m.save_task(None, "turn on the light").unwrap();
    assert!(m.scheduled_tasks().unwrap().is_empty());
    assert!(matches!(
        m.scheduled(turn),
        Err(MemoryError::NotFound { .. })
    ));
    assert_eq!(m.claim_task(turn).unwrap(), None);
}
