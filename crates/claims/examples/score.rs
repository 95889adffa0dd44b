//! Scores the default packs on labelled batches (`label<TAB>sentence` files, the corpus
//! format) and prints precision and recall, per file, in all, and per category. For the
//! blind protocol in BENCH.md: a new batch is scored with `--figures-only` first, so that
//! its figures are recorded before anyone reads its sentences.
//!
//! `cargo run --release -p anchordesk-claims --example score -- [--figures-only] [--rules-only] FILE...`
//! (`--rules-only` leaves out the learned backstop).

use anchordesk_claims::{Category, LintOptions, Severity};

#[derive(Default, Clone, Copy)]
struct Tally {
    sentences: usize,
    flagged: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.sentences += other.sentences;
        self.flagged += other.flagged;
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
    fn precision(self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn main() {
    let mut figures_only = false;
    let mut with_model = true;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--figures-only" {
            figures_only = true;
        } else if arg == "--rules-only" {
            with_model = false;
        } else {
            files.push(arg);
        }
    }
    if files.is_empty() {
        eprintln!("usage: score [--figures-only] FILE...");
        std::process::exit(2);
    }
    let linter = anchordesk_claims::LinterBuilder::with_default_packs().with_model(with_model).build();
    let mut total = Tally::default();
    // Per labelled category: hits and misses; false alarms by the category reported.
    let mut per_category: Vec<(Category, usize, usize, usize)> =
        Category::ALL.iter().map(|&c| (c, 0, 0, 0)).collect();
    let mut details = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap_or_else(|error| {
            eprintln!("cannot read {file}: {error}");
            std::process::exit(2);
        });
        let mut tally = Tally::default();
        for (idx, line) in source.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((label, sentence)) = line.split_once('\t') else {
                eprintln!("{file}:{}: no tab", idx + 1);
                std::process::exit(2);
            };
            let expected: Vec<Category> = if label.trim() == "clean" {
                Vec::new()
            } else {
                label
                    .split(',')
                    .map(|name| {
                        Category::parse(name.trim()).unwrap_or_else(|| {
                            eprintln!("{file}:{}: unknown label {name}", idx + 1);
                            std::process::exit(2);
                        })
                    })
                    .collect()
            };
            let findings: Vec<_> = linter
                .lint(sentence, &LintOptions::default())
                .into_iter()
                .filter(|f| f.severity >= Severity::Warning)
                .collect();
            let flagged = !findings.is_empty();
            let hit = findings.iter().any(|f| expected.contains(&f.category));
            tally.sentences += 1;
            tally.flagged += usize::from(!expected.is_empty());
            let found: Vec<String> = findings
                .iter()
                .map(|f| format!("{}[{}]", f.rule_id, f.matched))
                .collect();
            match (expected.is_empty(), flagged, hit) {
                (true, false, _) => {}
                (true, true, _) => {
                    tally.fp += 1;
                    for f in &findings {
                        per_category[f.category as usize].3 += 1;
                    }
                    details.push(format!("{file}:{}: false alarm {found:?}: {sentence}", idx + 1));
                }
                (false, _, true) => {
                    tally.tp += 1;
                    for c in &expected {
                        per_category[*c as usize].1 += 1;
                    }
                }
                (false, _, false) => {
                    tally.fn_ += 1;
                    for c in &expected {
                        per_category[*c as usize].2 += 1;
                    }
                    if flagged {
                        tally.fp += 1;
                    }
                    details.push(format!("{file}:{}: missed {label} (got {found:?}): {sentence}", idx + 1));
                }
            }
        }
        println!(
            "{file}: {} sentences ({} flagged / {} clean), misses {}, false alarms {}, precision {:.3}, recall {:.3}",
            tally.sentences,
            tally.flagged,
            tally.sentences - tally.flagged,
            tally.fn_,
            tally.fp,
            tally.precision(),
            tally.recall()
        );
        total.add(tally);
    }
    println!(
        "all: {} sentences ({} flagged / {} clean), misses {}, false alarms {}, precision {:.3}, recall {:.3}",
        total.sentences,
        total.flagged,
        total.sentences - total.flagged,
        total.fn_,
        total.fp,
        total.precision(),
        total.recall()
    );
    println!("\n| category | labelled | caught | recall | false alarms reported in it |");
    println!("|---|---|---|---|---|");
    for (category, hits, misses, false_alarms) in &per_category {
        if hits + misses + false_alarms == 0 {
            continue;
        }
        println!(
            "| {} | {} | {} | {:.2} | {} |",
            category.as_str(),
            hits + misses,
            hits,
            ratio(*hits, hits + misses),
            false_alarms
        );
    }
    if !figures_only {
        println!();
        for line in details {
            println!("{line}");
        }
    }
}
