//! `h1::decode_head` (the REST connection loop's request-head decoder) never panics, and
//! what it serves itself is unambiguous: a request it accepts has no `Transfer-Encoding`,
//! at most one `Content-Length`, and that length is the one it reports.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naftiko_server::h1::{Decoded, decode_head};

fuzz_target!(|data: &[u8]| {
    let Some((&max, head)) = data.split_first() else {
        return;
    };
    if let Decoded::Ready(h) = decode_head(head, usize::from(max) + 1) {
        assert!(h.len <= head.len());
        assert!(!h.parts.headers.contains_key(http::header::TRANSFER_ENCODING));
        let lengths: Vec<_> = h.parts.headers.get_all(http::header::CONTENT_LENGTH).iter().collect();
        assert!(lengths.len() <= 1);
        let declared = lengths
            .first()
            .map(|v| v.to_str().unwrap().parse::<u64>().unwrap())
            .unwrap_or(0);
        assert_eq!(declared, h.body_len);
        assert!(h.parts.uri.path().starts_with('/'));
    }
});
