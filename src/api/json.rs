//! The JSON writer of every API answer: compact JSON, byte for byte what
//! `serde_json::to_vec` writes for the same value.
//!
//! The answer types implement [`WriteJson`], generated with them by `ivs-local-codegen`: each
//! structure writes its members' `,"name":` as constants and each enum its values' JSON text,
//! so the only text examined at run time is the strings' (escaped by `json-escape-simd`, the
//! string kernel of sonic-rs, 16 or 32 bytes at a time). Numbers go through serde_json's own
//! [`CompactFormatter`]. Under callgrind, serde's derived serializers spent about two thirds
//! of the encoding of a GetChannel answer on member names and per-member calls that a
//! generated writer does not make.
//!
//! serde's `Serialize` stays the definition of the wire form: debug builds check every answer
//! against serde_json's ([`to_vec`]).

use crate::api::types::Timestamp;
use aws_smithy_types::date_time::Format;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};
use std::collections::BTreeMap;

pub use serde_json::Error;

/// A value that writes itself as compact JSON, exactly as serde_json serializes it.
pub trait WriteJson {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error>;
}

/// `value` as compact JSON, appended to `out`.
pub fn to_vec<T: WriteJson + Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let start = out.len();
    value.write_json(out)?;
    if cfg!(debug_assertions) {
        // Compared as serde_json writes, without a copy: the footprint test counts this
        // path's allocations.
        let mut check = SameAs { expected: &out[start..], at: 0 };
        let same =
            serde_json::to_writer(&mut check, value).is_ok() && check.at == out.len() - start;
        assert!(
            same,
            "the writer wrote {} where serde_json writes {:?}",
            String::from_utf8_lossy(&out[start..]),
            serde_json::to_string(value)
        );
    }
    Ok(())
}

/// An `io::Write` that fails on the first byte that is not `expected`'s.
struct SameAs<'a> {
    expected: &'a [u8],
    at: usize,
}

impl std::io::Write for SameAs<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let end = self.at + buf.len();
        if self.expected.get(self.at..end) != Some(buf) {
            return Err(std::io::Error::other("the JSON differs"));
        }
        self.at = end;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One member of an object being written: `key` is its `,"name":`, comma included (see
/// [`end_object`]).
pub fn member<T: WriteJson + ?Sized>(
    out: &mut Vec<u8>,
    key: &'static str,
    value: &T,
) -> Result<(), Error> {
    out.extend_from_slice(key.as_bytes());
    value.write_json(out)
}

/// Closes an object whose members were written from `start`, each after a comma: the first
/// comma becomes the opening brace (`{}` when there were none).
pub fn end_object(out: &mut Vec<u8>, start: usize) {
    match out.get_mut(start) {
        Some(first) => {
            *first = b'{';
            out.push(b'}');
        }
        None => out.extend_from_slice(b"{}"),
    }
}

/// Writes with serde_json's formatter; writing into a `Vec` cannot fail.
fn formatted(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> Result<(), Error> {
    write(out).map_err(Error::io)
}

/// As serde_json: `null`. Handlers of operations without an output return `()`; their
/// answers are a bare 204.
impl WriteJson for () {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        formatted(out, |out| CompactFormatter.write_null(out))
    }
}

impl WriteJson for str {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        json_escape_simd::escape_into(self, out);
        Ok(())
    }
}

impl WriteJson for String {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.as_str().write_json(out)
    }
}

impl WriteJson for bool {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
        Ok(())
    }
}

impl WriteJson for i32 {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        formatted(out, |out| CompactFormatter.write_i32(out, *self))
    }
}

impl WriteJson for i64 {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        formatted(out, |out| CompactFormatter.write_i64(out, *self))
    }
}

/// As serde_json: JSON has no NaN or infinity, so they are written as `null`.
impl WriteJson for f32 {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self.is_finite() {
            true => formatted(out, |out| CompactFormatter.write_f32(out, *self)),
            false => formatted(out, |out| CompactFormatter.write_null(out)),
        }
    }
}

impl WriteJson for f64 {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self.is_finite() {
            true => formatted(out, |out| CompactFormatter.write_f64(out, *self)),
            false => formatted(out, |out| CompactFormatter.write_null(out)),
        }
    }
}

/// As its `Serialize`: the RFC 3339 text, or the error of a date that has none.
impl WriteJson for Timestamp {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let text = self.0.fmt(Format::DateTime).map_err(serde::ser::Error::custom)?;
        text.write_json(out)
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write_json(out)?;
        }
        out.push(b']');
        Ok(())
    }
}

impl<T: WriteJson> WriteJson for BTreeMap<String, T> {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let start = out.len();
        for (key, value) in self {
            out.push(b',');
            key.write_json(out)?;
            out.push(b':');
            value.write_json(out)?;
        }
        end_object(out, start);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::{ivs, ivs_realtime};
    use aws_smithy_types::DateTime;

    fn written<T: WriteJson + ?Sized>(value: &T) -> String {
        let mut out = b"prefix:".to_vec();
        value.write_json(&mut out).unwrap();
        String::from_utf8(out).unwrap().strip_prefix("prefix:").unwrap().to_string()
    }

    fn same_as_serde_json<T: WriteJson + Serialize + ?Sized>(value: &T) {
        assert_eq!(written(value), serde_json::to_string(value).unwrap());
    }

    #[test]
    fn every_character_is_escaped_as_serde_json_escapes_it() {
        let mut all = String::new();
        for c in (0..0x3000).chain([0x7ff, 0xfffd, 0x1f600, 0x10ffff]).filter_map(char::from_u32) {
            all.push(c);
            for pad in [0, 1, 15, 16, 31, 32, 33] {
                same_as_serde_json(&format!("{}{c}{}", "a".repeat(pad), "b".repeat(pad)));
            }
        }
        same_as_serde_json(&all);
        same_as_serde_json("");
    }

    #[test]
    fn numbers_lists_and_maps_are_serde_json_s() {
        same_as_serde_json(&vec![0, -1, i32::MIN, i32::MAX]);
        same_as_serde_json(&vec![i64::MIN, i64::MAX]);
        same_as_serde_json(&vec![0.0, -0.0, 0.1, 1e300, 5e-324, 30.0, 123456.789]);
        same_as_serde_json(&vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        same_as_serde_json(&vec![1.5f32, 30.0, 0.1, f32::NAN, f32::MAX]);
        same_as_serde_json(&vec![true, false]);
        same_as_serde_json(&Vec::<String>::new());
        same_as_serde_json(&BTreeMap::<String, String>::new());
        same_as_serde_json(&BTreeMap::from([
            ("k\"\n".to_string(), vec![BTreeMap::from([("a".to_string(), 1)])]),
            ("".to_string(), vec![]),
        ]));
    }

    #[test]
    fn timestamps_are_written_as_they_serialize() {
        same_as_serde_json(&Timestamp(DateTime::from_millis(1_704_067_200_123)));
        let unwritable = Timestamp(DateTime::from_secs(i64::MAX / 2));
        assert!(serde_json::to_vec(&unwritable).is_err());
        assert!(unwritable.write_json(&mut Vec::new()).is_err());
    }

    #[test]
    fn generated_structures_and_enums_are_serde_json_s() {
        // Absent members, required ones, nested structures, lists, maps and enums.
        same_as_serde_json(&ivs::Channel::default());
        same_as_serde_json(&ivs::Channel {
            arn: Some("arn:aws:ivs:us-west-2:123456789012:channel/abcd\u{7f}\u{1f}".into()),
            name: Some("".into()),
            latency_mode: Some(ivs::ChannelLatencyMode::Low),
            preset: Some(ivs::TranscodePreset::Empty),
            authorized: Some(false),
            srt: Some(ivs::Srt { endpoint: None, passphrase: Some("p".into()) }),
            tags: Some(BTreeMap::from([("k".into(), "v".into())])),
            ..Default::default()
        });
        same_as_serde_json(&ivs::BatchGetChannelResponse {
            channels: Some(vec![ivs::Channel::default(), ivs::Channel::default()]),
            errors: Some(vec![]),
        });
        same_as_serde_json(&ivs_realtime::GetStageResponse::default());
        for value in ivs::RecordingMode::ALL {
            same_as_serde_json(value);
        }
    }

    #[test]
    fn the_debug_check_fails_on_the_first_differing_byte() {
        use std::io::Write;
        let mut check = SameAs { expected: b"{\"a\":1}", at: 0 };
        check.write_all(b"{\"a\"").unwrap();
        assert!(check.write_all(b":2").is_err());
        let mut check = SameAs { expected: b"[]", at: 0 };
        assert!(check.write_all(b"[]]").is_err());
    }
}
