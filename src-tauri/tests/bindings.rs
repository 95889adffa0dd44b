//! Fails when ui/src/lib/bindings.ts is not what the Rust types generate.
//! Run with `UPDATE_BINDINGS=1` to rewrite it.

use std::path::PathBuf;

#[test]
fn committed_bindings_are_up_to_date() {
    let committed_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings.ts");
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh_path = dir.path().join("bindings.ts");
    anchordesk_app::specta_builder()
        .export(anchordesk_app::typescript_exporter(), &fresh_path)
        .expect("exporting the bindings");
    let fresh = std::fs::read_to_string(&fresh_path).expect("reading the fresh bindings");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&committed_path, &fresh).expect("writing ui/src/lib/bindings.ts");
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/lib/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test --test bindings` and commit the result"
    );
}
