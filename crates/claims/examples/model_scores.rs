//! Prints the learned backstop's score of every category for each line of standard input,
//! highest first: to see why the model suspects a sentence, or keeps a rule's finding as a
//! reminder only.
//!
//! `cargo run --release -p anchordesk-claims --example model_scores < sentences.txt`

use anchordesk_claims::Category;
use anchordesk_claims::model::{Model, features};
use std::io::BufRead;

fn main() {
    let model = Model::from_bytes(include_bytes!("../../../assets/model/claims-ngram.bin")).expect("the embedded model");
    println!("threshold {:.2}, vetoes {:?}", model.threshold, model.veto);
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        if line.trim().is_empty() {
            continue;
        }
        let scores = model.scores(&features(&line));
        let mut ranked: Vec<(Category, f32)> = Category::ALL.iter().copied().zip(scores).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let top: Vec<String> = ranked.iter().take(4).map(|(c, s)| format!("{} {:.3}", c.as_str(), s)).collect();
        println!("{line}\n    {}", top.join(", "));
    }
}
