use super::*;

fn now() -> Timestamp {
    "2026-11-29T10:00:00Z".parse().unwrap()
}

#[test]
fn the_json_round_trips_and_defaults_are_safe() {
    let plan = Plan {
        when: When::Trigger {
            entity_id: "cover.garage_door".into(),
            state: "open".into(),
            for_s: 600,
        },
        deliver: Deliver::Speech("kitchen".into()),
        on_interrupt: OnInterrupt::Retry,
        max_attempts: 3,
    };
    assert_eq!(Plan::from_json(&plan.to_json()).unwrap(), plan);
    let bare = Plan::from_json(r#"{"when":{"cron":"0 7 * * *"}}"#).unwrap();
    assert_eq!(
        (bare.deliver, bare.on_interrupt, bare.max_attempts),
        (Deliver::Memory, OnInterrupt::Fail, 1)
    );
    let err = Plan::from_json(r#"{"when":{"sometime":1}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("stored plan cannot be read"), "{err}");
}

#[test]
fn next_runs_by_kind() {
    let tz = TimeZone::UTC;
    let at = Plan::new(When::At(now().as_millisecond() + 60_000));
    assert_eq!(
        at.next_after(now(), &tz).unwrap().to_string(),
        "2026-11-29T10:01:00Z"
    );
    assert_eq!(
        at.next_after("2026-11-29T10:01:00Z".parse().unwrap(), &tz),
        None,
        "once only"
    );
    let cron = Plan::new(When::Cron("30 18 * * *".into()));
    assert_eq!(
        cron.first_run(now(), &tz).unwrap().to_string(),
        "2026-11-29T18:30:00Z"
    );
    let trigger = Plan::new(When::Trigger {
        entity_id: "a.b".into(),
        state: "on".into(),
        for_s: 0,
    });
    assert_eq!(trigger.first_run(now(), &tz), None);
    assert!(Plan::new(When::Cron("0 7 * *".into())).validate().is_err());
}

#[test]
fn times_as_people_write_them() {
    let tz = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
    // 10:00 UTC is 11:00 in Berlin: 18:00 is today, 09:00 tomorrow.
    assert_eq!(
        parse_at("18:00", now(), &tz).unwrap().to_string(),
        "2026-11-29T17:00:00Z"
    );
    assert_eq!(
        parse_at("09:00", now(), &tz).unwrap().to_string(),
        "2026-11-30T08:00:00Z"
    );
    assert_eq!(
        parse_at("2026-12-24T18:00", now(), &tz)
            .unwrap()
            .to_string(),
        "2026-12-24T17:00:00Z"
    );
    assert_eq!(
        parse_at("2026-11-29T10:00:05Z", now(), &TimeZone::UTC)
            .unwrap()
            .to_string(),
        "2026-11-29T10:00:05Z"
    );
    assert!(matches!(
        parse_at("2026-11-28T10:00:00Z", now(), &tz),
        Err(PlanError::Past(_))
    ));
    assert!(matches!(
        parse_at("teatime", now(), &tz),
        Err(PlanError::Time(_))
    ));
}

#[test]
fn durations_conditions_and_deliveries() {
    assert_eq!(parse_duration("90s").unwrap(), 90);
    assert_eq!(parse_duration("10m").unwrap(), 600);
    assert_eq!(parse_duration("10").unwrap(), 600);
    assert_eq!(parse_duration("2h").unwrap(), 7_200);
    assert!(parse_duration("soon").is_err());
    assert!(parse_duration("400d").is_err(), "over a year");
    assert_eq!(
        parse_condition("cover.garage_door = open").unwrap(),
        ("cover.garage_door".into(), "open".into())
    );
    assert!(parse_condition("garage=open").is_err());
    assert!(parse_condition("cover.x=").is_err());
    assert_eq!(
        parse_deliver("speech:kitchen").unwrap(),
        Deliver::Speech("kitchen".into())
    );
    assert_eq!(
        parse_deliver("notify:mobile_app_ann").unwrap(),
        Deliver::Notify("mobile_app_ann".into())
    );
    assert_eq!(parse_deliver("mqtt").unwrap(), Deliver::Mqtt);
    assert!(parse_deliver("speech:").is_err());
    assert!(parse_deliver("speech:a/b").is_err());
    assert!(parse_deliver("email:x").is_err());
}
