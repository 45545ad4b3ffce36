//! `naftiko_http1::decode_head` (the REST connection loop's request-head decoder) never
//! panics, and what it serves itself is unambiguous: a request it accepts has no
//! `Transfer-Encoding`, every `Content-Length` is a plain number equal to the length it
//! reports;
//! every header it keeps is a valid `HeaderName` and `HeaderValue`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naftiko_http1::{Decoded, decode_head};

fuzz_target!(|data: &[u8]| {
    let Some((&max, head)) = data.split_first() else {
        return;
    };
    if let Decoded::Ready(h) = decode_head(head, usize::from(max) + 1) {
        assert!(h.len <= head.len());
        let bytes = bytes::Bytes::copy_from_slice(head);
        for (name, value) in &h.headers {
            assert!(http::HeaderName::from_bytes(&head[name.clone()]).is_ok());
            assert!(http::HeaderValue::from_bytes(&head[value.clone()]).is_ok());
        }
        for (name, value) in &h.headers {
            if head[name.clone()].eq_ignore_ascii_case(b"content-length") {
                let n = std::str::from_utf8(&head[value.clone()]).unwrap();
                assert_eq!(n.parse::<u64>().unwrap(), h.body_len);
            }
        }
        assert!(h.header(head, "transfer-encoding").is_none());
        assert!(h.uri.path().starts_with('/'));
        let parts = h.into_parts(&bytes);
        assert!(!parts.headers.contains_key(http::header::TRANSFER_ENCODING));
    }
});
