//! The generated API types under `src/api/types/` must be what the generator makes from the
//! models today. Regenerate with `cargo run -p ivs-local-codegen` (or `REGENERATE=1 cargo test
//! --test codegen`).

#[test]
fn generated_types_are_up_to_date() {
    let root = ivs_local_codegen::repo_root();
    let regenerate = std::env::var_os("REGENERATE").is_some();
    let mut stale = Vec::new();
    for (path, expected) in ivs_local_codegen::generate(&root) {
        let full = root.join(&path);
        let actual = std::fs::read_to_string(&full).unwrap_or_default();
        if actual != expected {
            if regenerate {
                std::fs::write(&full, expected).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale: {stale:?}; run `cargo run -p ivs-local-codegen` and commit the result"
    );
}
