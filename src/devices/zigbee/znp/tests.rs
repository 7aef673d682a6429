//! The MT machine with frames in and `now` passed by hand: no port, no clock.

use super::*;
use crate::devices::zigbee::mt::commands::{self, AF_DATA_CONFIRM};
use crate::devices::zigbee::mt::{AF, ZDO};

fn srsp(subsystem: u8, id: u8, data: &[u8]) -> Event {
    Event::Frame(Frame::new(Kind::Srsp, subsystem, id, data.to_vec()))
}

fn areq(subsystem: u8, id: u8, data: &[u8]) -> Event {
    Event::Frame(Frame::new(Kind::Areq, subsystem, id, data.to_vec()))
}

fn drain(znp: &mut Znp) -> Vec<Output> {
    std::iter::from_fn(|| znp.poll_output()).collect()
}

fn confirm_of(trans_id: u8) -> Awaited {
    Awaited {
        subsystem: AF,
        id: AF_DATA_CONFIRM,
        fields: vec![(2, trans_id)],
        timeout: Duration::from_secs(8),
        only_on_success: true,
    }
}

#[test]
fn one_sreq_at_a_time_matched_by_its_srsp() {
    let t0 = Instant::now();
    let mut znp = Znp::new();
    znp.call(1, Call::new(commands::ping(), SREQ_TIMEOUT), t0)
        .unwrap();
    znp.call(2, Call::new(commands::version(), SREQ_TIMEOUT), t0)
        .unwrap();
    assert_eq!(
        drain(&mut znp),
        vec![Output::Write(commands::ping().encode().unwrap())]
    );
    // A version SRSP while the ping is in flight answers nothing.
    znp.on_event(srsp(SYS, 0x02, &[2]), t0);
    assert!(matches!(drain(&mut znp)[..], [Output::Dropped(_)]));
    znp.on_event(srsp(SYS, 0x01, &[0x79, 0x01]), t0);
    let out = drain(&mut znp);
    let answer = Answer {
        srsp: Some(vec![0x79, 0x01]),
        areq: None,
    };
    assert_eq!(out[0], Output::Done(1, Ok(answer)));
    assert_eq!(out[1], Output::Write(commands::version().encode().unwrap()));
    assert_eq!(znp.deadline(), Some(t0 + SREQ_TIMEOUT));
}

#[test]
fn an_areq_between_sreq_and_srsp_goes_up_and_the_call_still_ends() {
    let t0 = Instant::now();
    let mut znp = Znp::new();
    znp.call(7, Call::new(commands::ping(), SREQ_TIMEOUT), t0)
        .unwrap();
    drain(&mut znp);
    let joined = areq(ZDO, 0xCA, &[0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    znp.on_event(joined.clone(), t0);
    let Event::Frame(frame) = joined else {
        unreachable!()
    };
    assert_eq!(drain(&mut znp), vec![Output::Indication(frame)]);
    znp.on_event(srsp(SYS, 0x01, &[0, 0]), t0);
    assert!(matches!(drain(&mut znp)[..], [Output::Done(7, Ok(_))]));
}

#[test]
fn a_silent_chip_times_the_call_out_and_the_next_goes() {
    let t0 = Instant::now();
    let mut znp = Znp::new();
    znp.call(1, Call::new(commands::ping(), SREQ_TIMEOUT), t0)
        .unwrap();
    znp.call(2, Call::new(commands::version(), SREQ_TIMEOUT), t0)
        .unwrap();
    drain(&mut znp);
    znp.on_timer(t0 + SREQ_TIMEOUT - Duration::from_millis(1));
    assert!(drain(&mut znp).is_empty());
    let late = t0 + SREQ_TIMEOUT;
    znp.on_timer(late);
    let out = drain(&mut znp);
    let failure = Failure::NoResponse(CommandName(0x21, 0x01));
    assert_eq!(out[0], Output::Done(1, Err(failure)));
    assert!(matches!(out[1], Output::Write(_)));
    assert_eq!(znp.deadline(), Some(late + SREQ_TIMEOUT));
}

#[test]
fn a_data_request_awaits_the_confirm_with_its_trans_id() {
    let t0 = Instant::now();
    let mut znp = Znp::new();
    let request = commands::af_data_request(&commands::DataRequest {
        nwk: 0x1234,
        dst_ep: 1,
        src_ep: 1,
        cluster: 6,
        trans_id: 5,
        payload: vec![1, 5, 1],
    });
    znp.call(
        1,
        Call::new(request, SREQ_TIMEOUT).awaiting(confirm_of(5)),
        t0,
    )
    .unwrap();
    znp.call(2, Call::new(commands::ping(), SREQ_TIMEOUT), t0)
        .unwrap();
    drain(&mut znp);
    znp.on_event(srsp(AF, 0x01, &[0]), t0);
    // Awaiting the confirm does not hold the next SREQ back.
    assert!(matches!(drain(&mut znp)[..], [Output::Write(_)]));
    znp.on_event(areq(AF, 0x80, &[0, 1, 4]), t0); // another trans id
    assert!(matches!(drain(&mut znp)[..], [Output::Indication(_)]));
    znp.on_event(areq(AF, 0x80, &[0xE9, 1, 5]), t0); // MAC no ACK, as a value
    let out = drain(&mut znp);
    let answer = Answer {
        srsp: Some(vec![0]),
        areq: Some(vec![0xE9, 1, 5]),
    };
    assert_eq!(out[0], Output::Done(1, Ok(answer)));
}

#[test]
fn a_refused_request_awaits_nothing_and_a_missing_confirm_times_out() {
    let t0 = Instant::now();
    let mut znp = Znp::new();
    let frame = commands::ping(); // any SREQ stands in here
    znp.call(
        1,
        Call::new(frame.clone(), SREQ_TIMEOUT).awaiting(confirm_of(9)),
        t0,
    )
    .unwrap();
    znp.on_event(srsp(SYS, 0x01, &[0x10]), t0);
    let out = drain(&mut znp);
    assert_eq!(
        out[1],
        Output::Done(
            1,
            Ok(Answer {
                srsp: Some(vec![0x10]),
                areq: None
            })
        )
    );
    znp.call(
        2,
        Call::new(frame, SREQ_TIMEOUT).awaiting(confirm_of(9)),
        t0,
    )
    .unwrap();
    znp.on_event(srsp(SYS, 0x01, &[0]), t0);
    drain(&mut znp);
    assert_eq!(znp.deadline(), Some(t0 + Duration::from_secs(8)));
    znp.on_timer(t0 + Duration::from_secs(8));
    let failure = Failure::NoIndication(CommandName(0x44, 0x80));
    assert_eq!(drain(&mut znp), vec![Output::Done(2, Err(failure))]);
}

#[test]
fn an_unknown_command_gets_an_rpc_error() {
    let t0 = Instant::now();
    let mut znp = Znp::new();
    znp.call(3, Call::new(commands::device_info(), SREQ_TIMEOUT), t0)
        .unwrap();
    drain(&mut znp);
    // 60 00 · 02 bad command id · 27 00 the command.
    znp.on_event(srsp(0, 0, &[0x02, 0x27, 0x00]), t0);
    let failure = Failure::Unsupported {
        command: CommandName(0x27, 0x00),
        code: 2,
    };
    assert_eq!(drain(&mut znp), vec![Output::Done(3, Err(failure))]);
}

#[test]
fn an_unprompted_reset_fails_what_waits_but_an_awaited_one_answers() {
    let t0 = Instant::now();
    let mut znp = Znp::new();
    let reset_ind = Awaited {
        subsystem: SYS,
        id: SYS_RESET_IND,
        fields: vec![],
        timeout: Duration::from_secs(30),
        only_on_success: false,
    };
    let reset = Call::new(commands::soft_reset(), SREQ_TIMEOUT).awaiting(reset_ind);
    znp.call(1, reset, t0).unwrap();
    assert!(matches!(drain(&mut znp)[..], [Output::Write(_)]));
    znp.on_event(areq(SYS, SYS_RESET_IND, &[1, 2, 1, 2, 7, 1]), t0);
    let out = drain(&mut znp);
    assert!(matches!(out[0], Output::Done(1, Ok(_))), "{out:?}");
    assert!(!out.contains(&Output::ChipReset));

    znp.call(2, Call::new(commands::ping(), SREQ_TIMEOUT), t0)
        .unwrap();
    drain(&mut znp);
    znp.on_event(areq(SYS, SYS_RESET_IND, &[0, 2, 1, 2, 7, 1]), t0);
    let out = drain(&mut znp);
    assert_eq!(out[0], Output::Done(2, Err(Failure::ChipReset)));
    assert_eq!(out[1], Output::ChipReset);
    assert_eq!(znp.deadline(), None);
}

#[test]
fn the_queue_is_bounded() {
    let t0 = Instant::now();
    let mut znp = Znp::new();
    for id in 0..=CALL_QUEUE as u64 {
        znp.call(id, Call::new(commands::ping(), SREQ_TIMEOUT), t0)
            .unwrap();
    }
    assert!(!znp.has_room());
    let full = znp.call(99, Call::new(commands::ping(), SREQ_TIMEOUT), t0);
    assert_eq!(full, Err(Failure::QueueFull));
}
