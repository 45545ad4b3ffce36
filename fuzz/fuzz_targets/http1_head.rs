//! `h1::decode_head` (the REST connection loop's request-head decoder) never panics, and
//! what it serves itself is unambiguous: a request it accepts has no `Transfer-Encoding`,
//! at most one `Content-Length`, and that length is the one it reports; every header it
//! keeps is a valid `HeaderName` and `HeaderValue`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naftiko_server::h1::{Decoded, decode_head};

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
        let declared = h
            .header(head, "content-length")
            .map(|v| std::str::from_utf8(v).unwrap().parse::<u64>().unwrap())
            .unwrap_or(0);
        assert_eq!(declared, h.body_len);
        assert!(h.header(head, "transfer-encoding").is_none());
        assert!(h.uri.path().starts_with('/'));
        let parts = h.into_parts(&bytes);
        assert!(!parts.headers.contains_key(http::header::TRANSFER_ENCODING));
        assert!(parts.headers.get_all(http::header::CONTENT_LENGTH).iter().count() <= 1);
    }
});
