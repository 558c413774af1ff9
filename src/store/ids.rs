//! Identifier and secret generation: resource ids, stream-key secrets, endpoint prefixes.
//!
//! One generator per (account, region), seeded from the server's `--seed` when one is given,
//! so a test run that sets a seed sees the same ids every time. It takes `&self` (the RNG sits
//! behind its own small lock), so a handler that only reads state can still mint an id, such
//! as CreateParticipantToken's participant id, and run under the scope's shared lock.

use super::Key;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The character each random byte stands for: the alphabet's entry at the byte's top six
/// bits, or 0 for the two slots past the alphabet, which are skipped. One load per byte, with
/// neither a shift nor a bounds check.
const CHAR_OF_BYTE: [u8; 256] = {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        if b >> 2 < ALPHABET.len() {
            table[b] = ALPHABET[b >> 2];
        }
        b += 1;
    }
    table
};

pub struct IdGen {
    rng: parking_lot::Mutex<StdRng>,
}

impl IdGen {
    /// A generator for one scope: deterministic when `seed` is set, random otherwise.
    pub fn new(seed: Option<u64>, account: &str, region: &str) -> Self {
        let rng = match seed {
            Some(seed) => {
                let mut h = DefaultHasher::new();
                (seed, account, region).hash(&mut h);
                StdRng::seed_from_u64(h.finish())
            }
            None => StdRng::from_os_rng(),
        };
        IdGen { rng: parking_lot::Mutex::new(rng) }
    }

    /// `n` characters of `[A-Za-z0-9]`, uniformly drawn (see [`IdGen::draw_alphanumeric`]).
    pub fn alphanumeric(&self, n: usize) -> String {
        let mut out = String::with_capacity(n);
        self.push_alphanumeric(&mut out, n);
        out
    }

    /// Appends `n` characters of `[A-Za-z0-9]` to `out`, uniformly drawn.
    pub fn push_alphanumeric(&self, out: &mut String, n: usize) {
        out.reserve(n);
        self.draw_alphanumeric(n, |chars| {
            out.push_str(std::str::from_utf8(chars).expect("the alphabet is ASCII"))
        });
    }

    /// A resource id as AWS makes them: 12 characters of `[A-Za-z0-9]`, as a table key.
    pub fn resource_id(&self) -> Key {
        let mut id = [0; 12];
        let mut at = 0;
        self.draw_alphanumeric(id.len(), |chars| {
            id[at..at + chars.len()].copy_from_slice(chars);
            at += chars.len();
        });
        Key::from(std::str::from_utf8(&id).expect("the alphabet is ASCII"))
    }

    /// Hands `n` characters of `[A-Za-z0-9]` to `put`, a run at a time, uniformly drawn: each
    /// random byte's top six bits pick one of 64 slots and the two slots past the alphabet are
    /// skipped. Random bytes come in blocks of 64, which costs about a tenth of drawing a
    /// bounded number per character.
    fn draw_alphanumeric(&self, n: usize, mut put: impl FnMut(&[u8])) {
        let mut left = n;
        let mut block = [0u8; 64];
        let mut chars = [0u8; 64];
        let mut rng = self.rng.lock();
        while left > 0 {
            rng.fill_bytes(&mut block);
            let mut len = 0;
            for &b in &block {
                let c = CHAR_OF_BYTE[usize::from(b)];
                // Written whether kept or not, and kept by counting it: no branch per byte.
                // `len` is at most the bytes seen, so below 64; the mask spares the bounds check.
                chars[len & 63] = c;
                len += usize::from(c != 0);
                if len == left {
                    break;
                }
            }
            put(&chars[..len]);
            left -= len;
        }
    }

    /// `n` lowercase hex digits.
    pub fn hex(&self, n: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut bytes = vec![0u8; n.div_ceil(2)];
        self.rng.lock().fill_bytes(&mut bytes);
        let nibbles = bytes.iter().flat_map(|b| [b >> 4, b & 15]);
        nibbles.take(n).map(|d| char::from(DIGITS[usize::from(d)])).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seed gives the ids it gave before: users pin them in their tests.
    #[test]
    fn a_seed_draws_what_it_always_drew() {
        let ids = IdGen::new(Some(7), "111111111111", "us-east-1");
        assert_eq!(ids.resource_id(), "UUGgxIvCL6Hk");
        assert_eq!(
            ids.alphanumeric(150),
            "m0hUvAUtDg2OnrGiqFDchq8zUFAdRhCUeMmd6C26yYm1y1qrTVuLVeyGYKC4dNIysKGdHRk0FfmLeTtkmltzlf\
             9nkjm1E1JJWfEh9uIYXNoiOE14EhF8m6OnpnxEv55yIeLw73IlmCC9be9hABBrtd"
        );
        assert_eq!(
            ids.alphanumeric(69),
            "Fz7VEFv8yjmduEkA8psPO3l7YaWrVzYK44c9GpG5MUQpHhNlFBR4dk8GLwDxEu7kcMCne"
        );
    }

    #[test]
    fn seeded_generators_repeat_and_scopes_differ() {
        let a = IdGen::new(Some(7), "111111111111", "us-east-1").resource_id();
        let b = IdGen::new(Some(7), "111111111111", "us-east-1").resource_id();
        let c = IdGen::new(Some(7), "111111111111", "eu-west-1").resource_id();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn every_character_is_drawn_about_equally_often() {
        let ids = IdGen::new(Some(1), "111111111111", "us-east-1");
        let text = ids.alphanumeric(62 * 1000);
        assert_eq!(text.len(), 62 * 1000);
        let mut counts = std::collections::HashMap::new();
        for c in text.chars() {
            *counts.entry(c).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 62);
        // Each count is binomial with mean 1000 and deviation about 31.
        assert!(counts.values().all(|&n| (850..1150).contains(&n)), "{counts:?}");
        let hex = ids.hex(7);
        assert_eq!(hex.len(), 7);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }
}
