//! Prints how long building the default linter takes.

fn main() {
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let linter = anchordesk_claims::Linter::default_packs();
        println!(
            "{} rules loaded in {:?}",
            linter.rules().len(),
            started.elapsed()
        );
    }
}
