//! Writes the fuzz targets' seed corpora. `pipeline`'s: one valid request per operation of both
//! models, Cloud Control operation, control API route and STS action
//! (`tests/common/requests.rs`), naming the resources every input finds
//! (`ivs_local_fuzz::known`). `body_check`'s: each body-only operation's byte and a valid body
//! (`tests/common/model_inputs.rs`).
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus [DIR]` (default
//! `fuzz/corpus`; the seeds go to `DIR/pipeline` and `DIR/body_check`).

use ivs_local_fuzz::model_inputs::ModelInputs;
use ivs_local_fuzz::requests::seed_requests;
use ivs_local_fuzz::{AUTHORIZATION, body_operations, encode, known};

fn main() {
    let corpus = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/corpus").to_string());
    let dir = format!("{corpus}/pipeline");
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

    let dir = format!("{corpus}/body_check");
    std::fs::create_dir_all(&dir).expect("create the corpus directory");
    for (i, op) in body_operations().iter().enumerate() {
        let mut input = vec![u8::try_from(i).expect("fewer than 256 operations")];
        input.extend(ModelInputs::new(op.service()).base_input(*op).to_string().into_bytes());
        std::fs::write(format!("{dir}/{i:03}-{}", op.name()), input).expect("write a seed");
    }
    println!("{} seeds written to {dir}", body_operations().len());
}
