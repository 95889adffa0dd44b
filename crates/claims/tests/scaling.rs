//! Lint time grows linearly with the input, also when the whole text is one line (an
//! overlay or a product description pasted without line breaks).

use anchordesk_claims::{LintOptions, Linter};
use std::time::{Duration, Instant};

#[path = "../benches/script_text.rs"]
mod script_text;

fn best_of_seven(linter: &Linter, text: &str) -> Duration {
    (0..7)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(linter.lint(text, &LintOptions::default()));
            started.elapsed()
        })
        .min()
        .expect("seven runs")
}

#[test]
fn one_long_line_scales_linearly() {
    let linter = Linter::default_packs();
    let small = script_text::script_text(50_000).replace('\n', "，");
    let large = script_text::script_text(400_000).replace('\n', "，");
    let ratio = large.len() as f64 / small.len() as f64;
    let t_small = best_of_seven(&linter, &small);
    let t_large = best_of_seven(&linter, &large);
    // Linear work gives about `ratio` (8); a quadratic step would give `ratio` squared (64).
    // The margin absorbs the noise of a machine shared with other builds.
    assert!(
        t_large.as_secs_f64() < 3.5 * ratio * t_small.as_secs_f64(),
        "{} bytes took {t_small:?}, {} bytes took {t_large:?}",
        small.len(),
        large.len()
    );
}
