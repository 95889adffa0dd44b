//! Lints standard input with the default packs and prints compiler-like text.
//!
//! `cargo run -p anchordesk-claims --example lint_stdin < script.txt`

use std::io::Read;

use anchordesk_claims::{LintOptions, Linter, render};

fn main() {
    let mut text = String::new();
    if let Err(error) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("cannot read standard input: {error}");
        std::process::exit(2);
    }
    let linter = Linter::default_packs();
    let findings = linter.lint(&text, &LintOptions::default());
    print!(
        "{}",
        render::text(&[render::FileFindings {
            file: "-",
            text: &text,
            findings: &findings
        }])
    );
}
