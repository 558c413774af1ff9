//! Writes the fuzz target's seed corpus: one valid request per operation of both models, Cloud
//! Control operation, control API route and STS action (`tests/common/requests.rs`), naming the
//! resources every input finds (`ivs_local_fuzz::known`).
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus [DIR]` (default
//! `fuzz/corpus/pipeline`).

use ivs_local_fuzz::requests::seed_requests;
use ivs_local_fuzz::{AUTHORIZATION, encode, known};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/pipeline").to_string());
    std::fs::create_dir_all(&dir).expect("create the corpus directory");
    let seeds = seed_requests(&known(), AUTHORIZATION, true);
    for (i, seed) in seeds.iter().enumerate() {
        let input = encode(
            &seed.method,
            &seed.target,
            &seed.headers,
            seed.body.as_deref().unwrap_or_default().as_bytes(),
        );
        let name: String =
            seed.what.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        std::fs::write(format!("{dir}/{i:03}-{name}"), input).expect("write a seed");
    }
    println!("{} seeds written to {dir}", seeds.len());
}
