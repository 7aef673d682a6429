use super::*;
use crate::memory::Settings;

fn memory() -> (tempfile::TempDir, Memory) {
    let dir = tempfile::tempdir().unwrap();
    let m = Memory::open(&dir.path().join("m.db"), &Settings::default()).unwrap();
    (dir, m)
}

fn new(text: &str) -> NewTask {
    NewTask {
        text: text.into(),
        ..NewTask::default()
    }
}

#[test]
fn a_reminder_in_ten_minutes() {
    let (_d, mut m) = memory();
    let before = Timestamp::now().as_millisecond();
    let v = add(
        &mut m,
        &NewTask {
            reminder: true,
            after: Some("10m".into()),
            deliver: Some("speech:kitchen".into()),
            ..new("take out the trash")
        },
        "ann",
        &TimeZone::UTC,
    )
    .unwrap();
    assert_eq!(v["kind"], "reminder");
    assert_eq!(v["user"], "ann");
    assert_eq!(v["on_interrupt"], "retry");
    assert_eq!(v["deliver"]["speech"], "kitchen");
    let task = m.scheduled(v["id"].as_i64().unwrap()).unwrap();
    let next = task.next_run.unwrap();
    assert!(next >= before + 600_000 && next <= Timestamp::now().as_millisecond() + 600_000);
}

#[test]
fn a_weekday_schedule_and_a_trigger() {
    let (_d, mut m) = memory();
    let v = add(
        &mut m,
        &NewTask {
            cron: Some("0 7 * * 1-5".into()),
            ..new("weather and my first meeting")
        },
        "ann",
        &TimeZone::UTC,
    )
    .unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["schedule"].as_str()),
        (Some("scheduled"), Some("cron 0 7 * * 1-5"))
    );
    assert!(
        v["next_run"].as_str().unwrap().ends_with("07:00:00 UTC"),
        "{v}"
    );
    let t = add(
        &mut m,
        &NewTask {
            when: Some("cover.garage_door=open".into()),
            hold: Some("10m".into()),
            deliver: Some("mqtt".into()),
            ..new("tell me the garage is open")
        },
        "ann",
        &TimeZone::UTC,
    )
    .unwrap();
    assert_eq!(t["kind"], "triggered");
    assert_eq!(t["schedule"], "when cover.garage_door is open for 600 s");
    assert!(t["next_run"].is_null());
    assert_eq!(
        list(&m, &TimeZone::UTC).unwrap().as_array().unwrap().len(),
        2
    );
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let (_d, mut m) = memory();
    let tz = TimeZone::UTC;
    let err = |t: NewTask| add(&mut memory().1, &t, "a", &tz).unwrap_err();
    assert!(err(new("x")).to_string().contains("exactly one of"));
    assert!(
        err(NewTask {
            at: Some("18:00".into()),
            cron: Some("@daily".into()),
            ..new("x")
        })
        .to_string()
        .contains("exactly one of")
    );
    assert!(
        err(NewTask {
            at: Some("18:00".into()),
            ..new("  ")
        })
        .to_string()
        .contains("1 to 1000")
    );
    assert!(
        err(NewTask {
            cron: Some("0 7 * *".into()),
            ..new("x")
        })
        .to_string()
        .contains("expected 5 fields")
    );
    assert!(
        err(NewTask {
            cron: Some("0 0 31 2 *".into()),
            ..new("x")
        })
        .to_string()
        .contains("never comes")
    );
    assert!(
        err(NewTask {
            at: Some("18:00".into()),
            hold: Some("5m".into()),
            ..new("x")
        })
        .to_string()
        .contains("goes with when")
    );
    assert!(
        err(NewTask {
            after: Some("5m".into()),
            deliver: Some("pigeon".into()),
            ..new("x")
        })
        .to_string()
        .contains("cannot read the delivery")
    );
    assert!(
        err(NewTask {
            after: Some("5m".into()),
            max_attempts: Some(0),
            ..new("x")
        })
        .to_string()
        .contains("1 to 10")
    );
    assert_eq!(err(new("x")).status(), 400);
    let gone = cancel(&mut m, 99, &tz).unwrap_err();
    assert_eq!(gone.status(), 404, "{gone}");
}

#[test]
fn cancel_run_now_and_history() {
    let (_d, mut m) = memory();
    let tz = TimeZone::UTC;
    let v = add(
        &mut m,
        &NewTask {
            cron: Some("@yearly".into()),
            ..new("check the smoke alarms")
        },
        "ann",
        &tz,
    )
    .unwrap();
    let id = v["id"].as_i64().unwrap();
    let now = Timestamp::now().as_millisecond();
    run_now(&mut m, id, &tz).unwrap();
    assert_eq!(m.due_tasks(now + 1_000).unwrap().len(), 1);
    let run = m.claim_task(id).unwrap().unwrap();
    let end = crate::memory::RunEnd {
        ok: true,
        result: "all fine",
        next_run: Some(now + 1_000_000),
        recurring: true,
        tokens: 3,
    };
    m.finish_run(id, run, &end, "d").unwrap();
    let h = history(&m, Some(id), 10, &tz).unwrap();
    assert_eq!(h[0]["result"], "all fine");
    assert_eq!(h[0]["task_id"], id);
    assert_eq!(history(&m, Some(4242), 10, &tz).unwrap_err().status(), 404);
    assert_eq!(cancel(&mut m, id, &tz).unwrap()["status"], "cancelled");
    let again = cancel(&mut m, id, &tz).unwrap_err().to_string();
    assert!(again.contains("already cancelled"), "{again}");
    assert!(list(&m, &tz).unwrap().as_array().unwrap().is_empty());
}
