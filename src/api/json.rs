//! The JSON encoder of every API answer: compact JSON, byte for byte what
//! `serde_json::to_vec` writes, with strings escaped by `json-escape-simd`.
//!
//! serde_json's serializer escapes a string one byte at a time, and strings are most of an
//! answer (ARNs, endpoints, URLs, keys): under callgrind, escaping was about 7,000 of the
//! 17,000 instructions a GetChannel spends in `api::handle`. This [`serde::Serializer`] writes
//! strings with `json-escape-simd` (the string kernel of sonic-rs, 16 or 32 bytes at a time) and
//! everything else through serde_json's own [`CompactFormatter`], so numbers, `null` for a
//! non-finite float and the punctuation come from serde_json. Debug builds check every answer
//! against serde_json's ([`to_vec`]).

use serde::ser::{self, Serialize};
use serde_json::Error;
use serde_json::ser::{CompactFormatter, Formatter};

/// `value` as compact JSON, appended to `out`.
pub fn to_vec<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Error> {
    let start = out.len();
    value.serialize(&mut Encoder { out })?;
    if cfg!(debug_assertions) {
        // Compared as serde_json writes, without a copy: the footprint test counts this
        // path's allocations.
        let mut check = SameAs { expected: &out[start..], at: 0 };
        let same =
            serde_json::to_writer(&mut check, value).is_ok() && check.at == out.len() - start;
        assert!(
            same,
            "the encoder wrote {} where serde_json writes {:?}",
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

/// Writes one value into `out`.
struct Encoder<'a> {
    out: &'a mut Vec<u8>,
}

impl Encoder<'_> {
    fn string(&mut self, value: &str) {
        json_escape_simd::escape_into(value, self.out);
    }

    /// A number or boolean, written by serde_json's formatter.
    fn plain(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        io(write(self.out))
    }

    /// `{"variant":`, which opens an externally tagged variant as serde_json writes one.
    fn open_variant(&mut self, variant: &str) {
        self.punct(b'{');
        self.string(variant);
        self.punct(b':');
    }

    fn punct(&mut self, byte: u8) {
        self.out.push(byte);
    }
}

/// `CompactFormatter` writes into a `Vec`, which cannot fail.
fn io(result: std::io::Result<()>) -> Result<(), Error> {
    result.map_err(Error::io)
}

/// Serializer methods that write a boolean or an integer as serde_json's formatter does,
/// through `$how`: `plain` for a value, `quoted` for a map key.
macro_rules! integers {
    ($how:ident) => {
        integers!(@each $how;
            serialize_bool(bool) => write_bool,
            serialize_i8(i8) => write_i8,
            serialize_i16(i16) => write_i16,
            serialize_i32(i32) => write_i32,
            serialize_i64(i64) => write_i64,
            serialize_i128(i128) => write_i128,
            serialize_u8(u8) => write_u8,
            serialize_u16(u16) => write_u16,
            serialize_u32(u32) => write_u32,
            serialize_u64(u64) => write_u64,
            serialize_u128(u128) => write_u128,
        );
    };
    (@each $how:ident; $($method:ident($ty:ty) => $write:ident,)*) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            self.$how(|out| CompactFormatter.$write(out, v))
        }
    )*};
}

/// What a value and a map key write alike: a unit variant as its name, a newtype struct as
/// what it wraps.
macro_rules! variant_names_and_newtypes {
    () => {
        fn serialize_unit_variant(
            self,
            _name: &'static str,
            _index: u32,
            variant: &'static str,
        ) -> Result<(), Error> {
            self.serialize_str(variant)
        }

        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _name: &'static str,
            value: &T,
        ) -> Result<(), Error> {
            value.serialize(self)
        }
    };
}

impl<'a, 'b> ser::Serializer for &'a mut Encoder<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    integers!(plain);

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        // As serde_json: JSON has no NaN or infinity, so they are written as `null`.
        if v.is_finite() {
            self.plain(|out| CompactFormatter.write_f32(out, v))
        } else {
            self.serialize_unit()
        }
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if v.is_finite() {
            self.plain(|out| CompactFormatter.write_f64(out, v))
        } else {
            self.serialize_unit()
        }
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }

    /// As serde_json: an array of numbers.
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.plain(|out| CompactFormatter.write_null(out))
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    variant_names_and_newtypes!();

    /// `{"variant":value}`, as serde_json writes an externally tagged variant.
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.punct(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Ok(Compound::open(self, None, b'[', b"]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        Ok(Compound::open(self, Some(variant), b'[', b"]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Ok(Compound::open(self, None, b'{', b"}"))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        Ok(Compound::open(self, Some(variant), b'{', b"}}"))
    }
}

/// An array or object being written: `close` ends it.
struct Compound<'a, 'b> {
    encoder: &'a mut Encoder<'b>,
    first: bool,
    close: &'static [u8],
}

impl<'a, 'b> Compound<'a, 'b> {
    /// Starts an array or object with `open`, to be ended by `close`; inside
    /// `{"variant":...}` for an externally tagged variant.
    fn open(
        encoder: &'a mut Encoder<'b>,
        variant: Option<&str>,
        open: u8,
        close: &'static [u8],
    ) -> Self {
        if let Some(variant) = variant {
            encoder.open_variant(variant);
        }
        encoder.punct(open);
        Compound { encoder, first: true, close }
    }

    /// The comma before every element but the first.
    fn separate(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.encoder.punct(b',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.separate();
        value.serialize(&mut *self.encoder)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.separate();
        self.encoder.string(key);
        self.encoder.punct(b':');
        value.serialize(&mut *self.encoder)
    }

    fn finish(self) -> Result<(), Error> {
        self.encoder.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// The traits of serde's arrays, all written the same way: `$method` adds an element.
macro_rules! array_like {
    ($($trait:ident :: $method:ident,)*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    )*};
}

array_like! {
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.separate();
        key.serialize(MapKey { encoder: &mut *self.encoder })?;
        self.encoder.punct(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.encoder)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// The traits of serde's structs, written the same way: a member is a key and its value.
macro_rules! struct_like {
    ($($trait:ident,)*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }

            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    )*};
}

struct_like! {
    SerializeStruct,
    SerializeStructVariant,
}

/// A map's key. JSON keys are strings: as serde_json, strings and characters are written as
/// they are, integers, booleans and finite floats quoted; anything else is refused.
struct MapKey<'a, 'b> {
    encoder: &'a mut Encoder<'b>,
}

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

impl MapKey<'_, '_> {
    /// An integer or boolean key: its JSON text between quotes.
    fn quoted(self, write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Result<(), Error> {
        self.encoder.punct(b'"');
        io(write(self.encoder.out))?;
        self.encoder.punct(b'"');
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.encoder.string(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    variant_names_and_newtypes!();

    integers!(quoted);

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(key_must_be_a_string());
        }
        self.quoted(|out| CompactFormatter.write_f32(out, v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(key_must_be_a_string());
        }
        self.quoted(|out| CompactFormatter.write_f64(out, v))
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn encoded<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = b"prefix:".to_vec();
        to_vec(value, &mut out).unwrap();
        String::from_utf8(out).unwrap().strip_prefix("prefix:").unwrap().to_string()
    }

    fn same_as_serde_json<T: Serialize + ?Sized>(value: &T) {
        assert_eq!(encoded(value), serde_json::to_string(value).unwrap());
    }

    #[test]
    fn every_character_is_escaped_as_serde_json_escapes_it() {
        let mut all = String::new();
        for c in (0..0x3000).chain([0x7ff, 0xfffd, 0x1f600, 0x10ffff]).filter_map(char::from_u32) {
            all.push(c);
            for pad in [0, 1, 15, 16, 31, 32, 33] {
                same_as_serde_json(&format!("{}{c}{}", "a".repeat(pad), "b".repeat(pad)));
            }
            same_as_serde_json(&c);
        }
        same_as_serde_json(&all);
        same_as_serde_json("");
    }

    #[test]
    fn numbers_and_the_rest_are_serde_json_s() {
        same_as_serde_json(&json!({
            "i": [0, -1, i64::MIN, i64::MAX, u64::MAX],
            "f": [0.0, -0.0, 0.1, 1e300, 5e-324, 30.0, 123456.789],
            "b": [true, false, null],
            "nested": {"a": {"b": [[], {}, [{}]]}, "": ""},
        }));
        same_as_serde_json(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        same_as_serde_json(&[1.5f32, 30.0, 0.1, f32::NAN, f32::MAX]);
        same_as_serde_json(&(1u8, 'x', (), Some(2i128), None::<u128>, u128::MAX));
        same_as_serde_json(&BTreeMap::from([(1, "one"), (-2, "minus two")]));
        same_as_serde_json(&BTreeMap::from([(true, 1)]));
        same_as_serde_json(&MapOf(vec![(1.5f64, 1), (-0.0, 2)]));
        same_as_serde_json(&MapOf(vec![(Some('k'), 1)]));
        same_as_serde_json(&BTreeMap::from([("k\"\n", BTreeMap::from([('c', vec![1u8])]))]));
        same_as_serde_json(&serde_bytes_like(b"\x00\xff"));
    }

    /// A map of any keys, in the given order.
    struct MapOf<K, V>(Vec<(K, V)>);

    impl<K: Serialize, V: Serialize> Serialize for MapOf<K, V> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
        }
    }

    /// A value that serializes with `serialize_bytes`, as `serde_bytes` does.
    fn serde_bytes_like(bytes: &'static [u8]) -> impl Serialize {
        struct Bytes(&'static [u8]);
        impl Serialize for Bytes {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        Bytes(bytes)
    }

    #[test]
    fn derived_structs_and_enums_are_serde_json_s() {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            name: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            absent: Option<String>,
            present: Option<i32>,
            state: State,
            variants: Vec<Variant>,
            unit: Unit,
            wrapped: Wrapped,
        }
        #[derive(serde::Serialize)]
        enum State {
            #[serde(rename = "ACTIVE")]
            Active,
        }
        #[derive(serde::Serialize)]
        enum Variant {
            Newtype(u8),
            Tuple(u8, String),
            Struct { a: bool },
        }
        #[derive(serde::Serialize)]
        struct Unit;
        #[derive(serde::Serialize)]
        struct Wrapped(String);
        same_as_serde_json(&Answer {
            name: "arn:aws:ivs:us-west-2:123456789012:channel/abcd\u{7f}\u{1f}".into(),
            absent: None,
            present: None,
            state: State::Active,
            variants: vec![
                Variant::Newtype(1),
                Variant::Tuple(2, "t".into()),
                Variant::Struct { a: true },
            ],
            unit: Unit,
            wrapped: Wrapped("w".into()),
        });
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

    #[test]
    fn keys_json_cannot_hold_are_refused() {
        let mut out = Vec::new();
        assert!(to_vec(&BTreeMap::from([((), 1)]), &mut out).is_err());
        assert!(serde_json::to_vec(&BTreeMap::from([((), 1)])).is_err());
        assert!(to_vec(&MapOf(vec![(f64::NAN, 1)]), &mut out).is_err());
        assert!(serde_json::to_vec(&MapOf(vec![(f64::NAN, 1)])).is_err());
    }
}
