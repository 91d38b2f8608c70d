//! Compiles the image knowledge in `images/*.toml` into `$OUT_DIR/images_data.rs`, the table
//! `src/images.rs` includes. A file that breaks the schema of `images/README.md` fails the
//! build with `images/<file>.toml: <what is wrong>`.

#[path = "build/image_data.rs"]
mod image_data;

use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("images");
    println!("cargo:rerun-if-changed=images");
    println!("cargo:rerun-if-changed=build/image_data.rs");
    for file in image_data::files(&dir) {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        println!("cargo:rerun-if-changed=images/{name}");
    }
    let entries = image_data::load(&dir).unwrap_or_else(|errors| {
        panic!(
            "invalid image data ({} problems):\n{}",
            errors.len(),
            errors.join("\n")
        )
    });
    // Citations and notes only with `docs` (the browser module leaves them out).
    let docs = std::env::var_os("CARGO_FEATURE_DOCS").is_some();
    let out =
        Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("images_data.rs");
    let code = image_data::generate(&entries, docs);
    // Rewrite only on change, so dependents are not rebuilt for nothing.
    if std::fs::read_to_string(&out).ok().as_deref() != Some(code.as_str()) {
        std::fs::write(&out, code).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }
}
