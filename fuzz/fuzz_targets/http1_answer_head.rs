//! `naftiko_http1::response::parse_answer_head` (the upstream client's answer-head parser)
//! never panics, keeps its one size limit whether the head is complete or not, and frames
//! what it accepts unambiguously: a length only without a transfer coding, no reuse of a
//! connection whose answer runs until close.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naftiko_http1::response::{AnswerHeadError, Framing, parse_answer_head};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, head)) = data.split_first() else {
        return;
    };
    let is_head = flags & 1 == 1;
    let max = 64 + usize::from(flags >> 1) * 16;
    let mut coded = false;
    match parse_answer_head(head, is_head, max, |name, _| {
        coded |= name.eq_ignore_ascii_case(b"transfer-encoding");
    }) {
        Ok(Some(h)) => {
            assert!(h.len <= head.len() && h.len <= max);
            if matches!(h.framing, Framing::Length(_)) {
                assert!(!coded, "a length beside a transfer coding");
            }
            if h.framing == Framing::UntilClose {
                assert!(!h.keep_alive);
            }
            if is_head {
                assert_eq!(h.framing, Framing::None);
            }
        }
        Ok(None) => assert!(head.len() <= max),
        Err(AnswerHeadError::TooLarge(limit)) => assert_eq!(limit, max),
        Err(_) => {}
    }
});
