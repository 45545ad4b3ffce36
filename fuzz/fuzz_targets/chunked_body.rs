//! The chunked-body decoder (`naftiko_http1::Chunked`, used by the upstream client)
//! never panics, whatever the bytes and however they are split, never returns more data
//! than the limit, and never consumes bytes after the end of the body.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use naftiko_http1::Chunked;

fuzz_target!(|data: &[u8]| {
    let Some((&step, wire)) = data.split_first() else {
        return;
    };
    let step = usize::from(step % 64) + 1;
    let max = 4096;
    let mut decoder = Chunked::default();
    let mut input = BytesMut::new();
    let mut out = BytesMut::new();
    for piece in wire.chunks(step) {
        input.extend_from_slice(piece);
        match decoder.feed(&mut input, &mut out, max) {
            Ok(true) => {
                assert!(out.len() <= max);
                return;
            }
            Ok(false) => assert!(out.len() <= max),
            Err(_) => return,
        }
    }
});
