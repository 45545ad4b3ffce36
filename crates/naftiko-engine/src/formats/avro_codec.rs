//! The codecs of Avro object container blocks (the file's `avro.codec`): `null`,
//! `deflate` (raw RFC 1951), `snappy` (raw Snappy, then the big-endian CRC-32 of the
//! uncompressed data), `zstandard`, `bzip2` and `xz`, as the Avro specification defines
//! them. Every decoder is pure Rust and works within a byte budget: a block that would
//! inflate past it is refused rather than inflated (compression bombs).

use std::io::{Read, Write};

/// A container file's codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Codec {
    Null,
    Deflate,
    Snappy,
    Zstandard,
    Bzip2,
    Xz,
}

impl Codec {
    /// The codec `avro.codec` names (absent: `null`).
    ///
    /// # Errors
    /// A codec the specification does not define.
    pub(super) fn named(name: Option<&[u8]>) -> Result<Codec, String> {
        Ok(match name {
            None | Some(b"null") => Codec::Null,
            Some(b"deflate") => Codec::Deflate,
            Some(b"snappy") => Codec::Snappy,
            Some(b"zstandard") => Codec::Zstandard,
            Some(b"bzip2") => Codec::Bzip2,
            Some(b"xz") => Codec::Xz,
            Some(other) => {
                return Err(format!(
                    "the Avro container file's codec `{}` is not one Avro defines (null, \
                     deflate, snappy, zstandard, bzip2, xz)",
                    String::from_utf8_lossy(other)
                ));
            }
        })
    }

    /// `block` decoded, at most `budget` bytes of it.
    ///
    /// # Errors
    /// The block is malformed for its codec, or decodes to more than `budget` bytes.
    pub(super) fn decode(self, block: &[u8], budget: usize) -> Result<Vec<u8>, String> {
        let over = || format!("an Avro container block decodes to more than {budget} bytes");
        let broken = |e: &dyn std::fmt::Display| format!("an Avro {self:?} block: {e}");
        match self {
            Codec::Null if block.len() > budget => Err(over()),
            Codec::Null => Ok(block.to_vec()),
            Codec::Deflate => miniz_oxide::inflate::decompress_to_vec_with_limit(block, budget)
                .map_err(|e| match e.status {
                    miniz_oxide::inflate::TINFLStatus::HasMoreOutput => over(),
                    _ => broken(&"not valid deflate data"),
                }),
            Codec::Snappy => snappy(block, budget).map_err(|e| e.unwrap_or_else(over)),
            Codec::Zstandard => {
                let decoder =
                    ruzstd::decoding::StreamingDecoder::new_with_max_window_size(block, 64 << 20)
                        .map_err(|e| broken(&e))?;
                bounded_read(decoder, budget).map_err(|e| e.map_or_else(over, |e| broken(&e)))
            }
            Codec::Bzip2 => bounded_read(bzip2::read::BzDecoder::new(block), budget)
                .map_err(|e| e.map_or_else(over, |e| broken(&e))),
            Codec::Xz => {
                let mut out = Bounded {
                    out: Vec::new(),
                    budget,
                };
                match lzma_rs::xz_decompress(&mut &block[..], &mut out) {
                    Ok(()) => Ok(out.out),
                    Err(_) if out.out.len() >= budget => Err(over()),
                    Err(e) => Err(broken(&e)),
                }
            }
        }
    }
}

/// A raw Snappy block and its CRC-32; `Err(None)` when it is over `budget`.
fn snappy(block: &[u8], budget: usize) -> Result<Vec<u8>, Option<String>> {
    let broken = |what: &str| Some(format!("an Avro Snappy block: {what}"));
    let Some((data, crc)) = block.split_last_chunk::<4>() else {
        return Err(broken("shorter than its CRC-32"));
    };
    let length = snap::raw::decompress_len(data).map_err(|e| broken(&e.to_string()))?;
    if length > budget {
        return Err(None);
    }
    let out = snap::raw::Decoder::new()
        .decompress_vec(data)
        .map_err(|e| broken(&e.to_string()))?;
    if crc32fast::hash(&out) != u32::from_be_bytes(*crc) {
        return Err(broken("its CRC-32 does not match its data"));
    }
    Ok(out)
}

/// Everything `reader` gives, at most `budget` bytes; `Err(None)` when it has more.
fn bounded_read(reader: impl Read, budget: usize) -> Result<Vec<u8>, Option<std::io::Error>> {
    let mut out = Vec::new();
    let limit = u64::try_from(budget).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(limit).read_to_end(&mut out).map_err(Some)?;
    if out.len() > budget {
        return Err(None);
    }
    Ok(out)
}

/// A writer that refuses bytes past its budget.
struct Bounded {
    out: Vec<u8>,
    budget: usize,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > self.budget {
            let room = self.budget - self.out.len();
            self.out.extend_from_slice(&buf[..room]);
            return Err(std::io::Error::other("over the budget"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codecs_are_named_and_known_ones_parsed() {
        assert_eq!(Codec::named(None), Ok(Codec::Null));
        assert_eq!(Codec::named(Some(b"xz")), Ok(Codec::Xz));
        let e = Codec::named(Some(b"lz4")).unwrap_err();
        assert!(e.contains("`lz4`"), "{e}");
    }

    #[test]
    fn blocks_over_the_budget_are_refused_whatever_the_codec() {
        let data = vec![b'a'; 10_000];
        let deflated = miniz_oxide::deflate::compress_to_vec(&data, 6);
        let mut snappy = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        snappy.extend_from_slice(&crc32fast::hash(&data).to_be_bytes());
        let mut bz = Vec::new();
        bzip2::read::BzEncoder::new(&data[..], bzip2::Compression::default())
            .read_to_end(&mut bz)
            .unwrap();
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut &data[..], &mut xz).unwrap();
        for (codec, block) in [
            (Codec::Null, data.clone()),
            (Codec::Deflate, deflated),
            (Codec::Snappy, snappy),
            (Codec::Bzip2, bz),
            (Codec::Xz, xz),
        ] {
            let whole = codec.decode(&block, 10_000);
            assert!(whole.as_ref() == Ok(&data), "{codec:?}: {:?}", whole.err());
            let e = codec.decode(&block, 9_999).unwrap_err();
            assert!(e.contains("more than 9999 bytes"), "{codec:?}: {e}");
            if codec != Codec::Null {
                let cut = codec.decode(&block[..block.len() / 2], 10_000);
                assert!(cut.is_err(), "{codec:?}: a block cut short decoded");
            }
        }
    }

    #[test]
    fn a_snappy_block_with_a_wrong_crc_is_refused() {
        let mut block = snap::raw::Encoder::new().compress_vec(b"hello").unwrap();
        block.extend_from_slice(&[0, 0, 0, 0]);
        let e = Codec::Snappy.decode(&block, 100).unwrap_err();
        assert!(e.contains("CRC-32"), "{e}");
    }
}
