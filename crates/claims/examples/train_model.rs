//! Trains the learned backstop (`src/model.rs`) on the labelled corpus and writes its
//! weights to `assets/model/claims-ngram.bin`. Deterministic: the same corpus gives the
//! same file.
//!
//! `cargo run --release -p anchordesk-claims --example train_model [-- CORPUS.tsv ...]`
//!
//! The threshold is chosen by 5-fold cross-validation on the corpus alone: the lowest
//! score at which the model's own held-out precision (right category, or no claim where
//! the sentence is clean) reaches 0.95. No blind batch is read.

use anchordesk_claims::Category;
use anchordesk_claims::model::{BUCKETS, Model, features};

const EPOCHS: usize = 12;
const RATE: f32 = 0.3;
const L2: f32 = 1e-5;
const TARGET_PRECISION: f32 = 0.95;

fn read(paths: &[String]) -> Vec<(String, Vec<Category>)> {
    let mut rows = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for line in text.lines() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((label, sentence)) = line.split_once('\t') else { continue };
            let labels = if label.trim() == "clean" {
                Vec::new()
            } else {
                label.split(',').filter_map(|l| Category::parse(l.trim())).collect()
            };
            rows.push((sentence.to_owned(), labels));
        }
    }
    rows
}

fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed;
    for i in (1..n).rev() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let j = (state >> 33) as usize % (i + 1);
        order.swap(i, j);
    }
    order
}

fn train(data: &[(Vec<u32>, Vec<Category>)]) -> Model {
    let mut pos_weight = [1.0f32; 12];
    for (class, category) in Category::ALL.iter().enumerate() {
        let positives = data.iter().filter(|(_, labels)| labels.contains(category)).count().max(1);
        pos_weight[class] = ((data.len() - positives) as f32 / positives as f32).sqrt().clamp(1.0, 8.0);
    }
    let mut model = Model::zeros();
    let mut grad_sq = vec![0.0f32; model.weights.len()];
    for epoch in 0..EPOCHS {
        let order = shuffled(data.len(), 17 + epoch as u64);
        model.train_epoch(data, &order, &mut grad_sq, RATE, L2, &pos_weight);
    }
    model
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/");
    let paths = if args.is_empty() { vec![format!("{root}zh.tsv"), format!("{root}en.tsv")] } else { args };
    let rows = read(&paths);
    let data: Vec<(Vec<u32>, Vec<Category>)> = rows.iter().map(|(s, l)| (features(s), l.clone())).collect();
    println!("{} sentences, {} labelled, {} buckets per category", data.len(), data.iter().filter(|(_, l)| !l.is_empty()).count(), BUCKETS);

    // Held-out scores from 5 folds: (best score, its category, the labels).
    let order = shuffled(data.len(), 7);
    let mut held: Vec<(f32, Category, Vec<Category>)> = Vec::new();
    for fold in 0..5 {
        let (test, train_idx): (Vec<usize>, Vec<usize>) = order.iter().partition(|&&i| i % 5 == fold);
        let train_set: Vec<_> = train_idx.iter().map(|&i| data[i].clone()).collect();
        let model = train(&train_set);
        for &i in &test {
            let scores = model.scores(&data[i].0);
            let (class, &score) = scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
            held.push((score, Category::ALL[class], data[i].1.clone()));
        }
    }
    let mut threshold = 0.99f32;
    for step in (50..100).rev() {
        let t = step as f32 / 100.0;
        let flagged: Vec<_> = held.iter().filter(|(s, _, _)| *s >= t).collect();
        if flagged.is_empty() {
            continue;
        }
        let right = flagged.iter().filter(|(_, c, labels)| labels.contains(c)).count();
        let precision = right as f32 / flagged.len() as f32;
        let labelled = held.iter().filter(|(_, _, l)| !l.is_empty()).count();
        if precision >= TARGET_PRECISION {
            threshold = t;
            println!("threshold {t:.2}: held-out precision {precision:.3}, recall of the model alone {:.3}", right as f32 / labelled as f32);
        } else {
            break;
        }
    }
    let mut model = train(&data);
    model.threshold = threshold;
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/model/claims-ngram.bin");
    std::fs::create_dir_all(std::path::Path::new(out).parent().unwrap()).unwrap();
    std::fs::write(out, model.to_bytes()).unwrap();
    println!("wrote {out} (threshold {threshold:.2})");
}
