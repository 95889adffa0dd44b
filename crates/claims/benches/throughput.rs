//! Throughput of `Linter::lint` on synthetic Chinese scripts of 10 KB and 10 MB, and the
//! time to load the default packs.

use anchordesk_claims::{LintOptions, Linter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

mod script_text;

fn lint_throughput(c: &mut Criterion) {
    let linter = Linter::default_packs();
    let mut group = c.benchmark_group("lint");
    for (name, n_bytes) in [("10KB", 10 * 1024), ("10MB", 10 * 1024 * 1024)] {
        let text = script_text::script_text(n_bytes);
        group.throughput(Throughput::Bytes(text.len() as u64));
        if n_bytes > 1024 * 1024 {
            group.sample_size(10);
        }
        group.bench_function(name, |b| {
            b.iter(|| linter.lint(black_box(&text), &LintOptions::default()))
        });
    }
    group.finish();
}

fn load_packs(c: &mut Criterion) {
    c.bench_function("load default packs", |b| b.iter(Linter::default_packs));
}

criterion_group!(benches, lint_throughput, load_packs);
criterion_main!(benches);
