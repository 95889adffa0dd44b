//! Lints a file with the default packs and prints the number of findings and the time the
//! lint took, for comparing with other tools (see `scripts/bench-claims-vs-textlint.sh`).
//!
//! `cargo run --release -p anchordesk-claims --example lint_file -- script.txt`
//! `cargo run --release -p anchordesk-claims --example lint_file -- --generate 1048576 > script.txt`

#[path = "../benches/script_text.rs"]
mod script_text;

use anchordesk_claims::{LintOptions, Linter};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, n_bytes] = args.as_slice()
        && flag == "--generate"
    {
        let Ok(n_bytes) = n_bytes.parse::<usize>() else {
            eprintln!("--generate needs a byte count, got {n_bytes:?}");
            std::process::exit(2);
        };
        print!("{}", script_text::script_text(n_bytes));
        return;
    }
    let [path] = args.as_slice() else {
        eprintln!("usage: lint_file FILE | lint_file --generate N_BYTES");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            std::process::exit(2);
        }
    };
    let started = std::time::Instant::now();
    let linter = Linter::default_packs();
    let loaded = started.elapsed();
    let findings = linter.lint(&text, &LintOptions::default());
    let total = started.elapsed();
    let lint_secs = (total - loaded).as_secs_f64();
    println!(
        "bytes={} findings={} load_ms={:.2} lint_ms={:.2} total_ms={:.2} mb_per_s={:.1}",
        text.len(),
        findings.len(),
        loaded.as_secs_f64() * 1e3,
        lint_secs * 1e3,
        total.as_secs_f64() * 1e3,
        text.len() as f64 / 1e6 / lint_secs
    );
}
