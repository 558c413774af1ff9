//! Identifier and secret generation: resource ids, stream-key secrets, endpoint prefixes.
//!
//! One generator per (account, region), seeded from the server's `--seed` when one is given,
//! so a test run that sets a seed sees the same ids every time. It takes `&self` (the RNG sits
//! behind its own small lock), so a handler that only reads state can still mint an id, such
//! as CreateParticipantToken's participant id, and run under the scope's shared lock.

use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hash::{DefaultHasher, Hash, Hasher};

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

    /// `n` characters of `[A-Za-z0-9]`.
    pub fn alphanumeric(&self, n: usize) -> String {
        Alphanumeric.sample_string(&mut *self.rng.lock(), n)
    }

    /// A resource id as AWS makes them: 12 characters of `[A-Za-z0-9]`.
    pub fn resource_id(&self) -> String {
        self.alphanumeric(12)
    }

    /// `n` lowercase hex digits.
    pub fn hex(&self, n: usize) -> String {
        let mut rng = self.rng.lock();
        (0..n).map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
