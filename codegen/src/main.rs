//! `cargo run -p ivs-local-codegen`: rewrites the generated files under `src/api/types/`.

fn main() {
    let root = ivs_local_codegen::repo_root();
    for (path, contents) in ivs_local_codegen::generate(&root) {
        let full = root.join(&path);
        std::fs::write(&full, contents).unwrap_or_else(|e| panic!("write {}: {e}", full.display()));
        println!("wrote {}", path.display());
    }
}
