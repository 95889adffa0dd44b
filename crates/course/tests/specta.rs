//! With the `specta` feature, the types the app sends to the window export to TypeScript,
//! which fails on 64-bit integers; the app's bindings generation relies on this.
#![cfg(feature = "specta")]

use anchordesk_course::{AttemptFacts, ClassTable, GradedReport, Scenario, Trend, VerifiedReport};

#[test]
fn course_types_export_to_typescript() {
    let types = specta::Types::default()
        .register::<Scenario>()
        .register::<AttemptFacts>()
        .register::<GradedReport>()
        .register::<VerifiedReport>()
        .register::<ClassTable>()
        .register::<Trend>();
    let ts = specta_typescript::Typescript::default().export(&types, specta_serde::Format).unwrap();
    assert!(ts.contains("gmvFen: number"), "{ts}");
    assert!(ts.contains("firedAtMs: number"), "{ts}");
    assert!(ts.contains("export type ClassTable"), "{ts}");
}
