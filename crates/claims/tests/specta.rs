//! With the `specta` feature, the public result types export to TypeScript, which fails on
//! 64-bit integers; this is what the app's bindings generation relies on.
#![cfg(feature = "specta")]

use anchordesk_claims::{
    ComplianceSummary, Finding, Lang, PackError, ProductContext, RuleSummary, TeamSettings,
};

#[test]
fn result_types_export_to_typescript() {
    let types = specta::Types::default()
        .register::<Finding>()
        .register::<RuleSummary>()
        .register::<ProductContext>()
        .register::<Lang>()
        .register::<PackError>()
        .register::<TeamSettings>()
        .register::<ComplianceSummary>();
    let ts = specta_typescript::Typescript::default()
        .export(&types, specta_serde::Format)
        .unwrap();
    assert!(ts.contains("ruleId: string"), "{ts}");
    assert!(ts.contains("recentPricesFen?: number[]"), "{ts}");
    assert!(ts.contains("\"fake-figures\""), "{ts}");
    assert!(ts.contains("export type PackError"), "{ts}");
}
