//! A small learned backstop for recall: one logistic regression per category over hashed
//! character n-grams of the folded text, trained offline on the labelled corpus
//! (`examples/train_model.rs`, data in `tests/corpus/`), shipped as a few megabytes of
//! weights (`assets/model/claims-ngram.bin`) and run in-process.
//!
//! It never replaces a rule: a sentence that a rule already flags is left to the rule (the
//! rule carries the law and the rewrite). A sentence no rule flags but the model scores
//! above its threshold gets one warning that says it is the model's suspicion, names the
//! category and cites the category's default law, so the anchor checks it rather than
//! trusting a green tick.

use crate::finding::Category;
use crate::normalize::{HARD, fold};

/// Hash buckets per category.
pub const BUCKETS: usize = 1 << 16;
const MAGIC: &[u8; 8] = b"ADCLM003";
/// The model suspects one kind of claim, ahead of the next kind by at least this much: a
/// sentence that scores high in many kinds at once (a greeting: "Hey guys, welcome back")
/// is the model not knowing, not a claim.
pub const SUSPECT_MARGIN: f32 = 0.2;

/// The best category, its score and the second-best score.
pub fn best_two(scores: &[f32; 12]) -> (Category, f32, f32) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    (Category::ALL[order[0]], scores[order[0]], scores[order[1]])
}

/// Above this score of any category the model does not read a sentence as clean.
const OTHER_CLAIM: f32 = 0.5;
/// The first format: no veto.
const MAGIC_V1: &[u8; 8] = b"ADCLM001";

/// Weights for every category, bias last in each row.
#[derive(Debug, Clone)]
pub struct Model {
    /// `Category::ALL.len()` rows of `BUCKETS + 1` weights.
    pub weights: Vec<f32>,
    /// Score above which a sentence is reported.
    pub threshold: f32,
    /// Per category: the score of a rule finding's own category below which the model reads
    /// the sentence as lawful context and the finding is kept as a reminder only (0: never).
    pub veto: [f32; 12],
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    let mut hash = 0xcbf29ce484222325u64 ^ seed;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

/// The hashed features of a sentence: 1-, 2- and 3-grams of its tokens, where a token is
/// one Chinese (or other non-ASCII) character or one whole English word of the folded
/// text, so `bestseller` shares nothing with `best`.
pub fn features(sentence: &str) -> Vec<u32> {
    features_of_folded(&fold(sentence))
}

/// [`features`] of text that is already folded.
pub fn features_of_folded(folded: &str) -> Vec<u32> {
    let folded = folded.trim_matches(|c| c == HARD || c == ' ');
    let mut tokens: Vec<&str> = Vec::new();
    let mut word_start: Option<usize> = None;
    for (at, ch) in folded.char_indices() {
        if ch.is_ascii_alphanumeric() || (word_start.is_some() && matches!(ch, '\'' | '.')) {
            word_start.get_or_insert(at);
            continue;
        }
        if let Some(start) = word_start.take() {
            tokens.push(&folded[start..at]);
        }
        if ch != ' ' {
            tokens.push(&folded[at..at + ch.len_utf8()]);
        }
    }
    if let Some(start) = word_start {
        tokens.push(&folded[start..]);
    }
    let mut out = Vec::with_capacity(tokens.len() * 3);
    let mut buf: Vec<u8> = Vec::with_capacity(64);
    for i in 0..tokens.len() {
        for n in 1..=3 {
            if i + n > tokens.len() {
                break;
            }
            buf.clear();
            for token in &tokens[i..i + n] {
                buf.extend_from_slice(token.as_bytes());
                buf.push(0);
            }
            out.push((fnv(&buf, n as u64) % BUCKETS as u64) as u32);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

impl Model {
    /// An untrained model.
    pub fn zeros() -> Model {
        Model { weights: vec![0.0; Category::ALL.len() * (BUCKETS + 1)], threshold: 1.0, veto: [0.0; 12] }
    }

    fn row(&self, class: usize) -> &[f32] {
        &self.weights[class * (BUCKETS + 1)..(class + 1) * (BUCKETS + 1)]
    }

    /// The probability of each category for a sentence, given its features.
    pub fn scores(&self, features: &[u32]) -> [f32; 12] {
        let mut out = [0.0f32; 12];
        for (class, slot) in out.iter_mut().enumerate() {
            let row = self.row(class);
            let z: f32 = row[BUCKETS] + features.iter().map(|&f| row[f as usize]).sum::<f32>();
            *slot = 1.0 / (1.0 + (-z).exp());
        }
        out
    }

    /// The most likely category of a sentence when it scores above the threshold.
    pub fn suspect(&self, sentence: &str) -> Option<(Category, f32)> {
        self.suspect_features(&features(sentence))
    }

    /// [`Model::suspect`] from features already computed.
    pub fn suspect_features(&self, features: &[u32]) -> Option<(Category, f32)> {
        let (category, score, second) = best_two(&self.scores(features));
        (score >= self.threshold && score - second >= SUSPECT_MARGIN).then_some((category, score))
    }

    /// Whether a rule's finding of `category` stays a reminder only: the model scores the
    /// sentence's `category` below that category's veto and no kind of claim at
    /// [`OTHER_CLAIM`] or more. The score of `category` when it does.
    pub fn vetoes(&self, features: &[u32], category: Category) -> Option<f32> {
        let veto = self.veto[category as usize];
        if veto <= 0.0 {
            return None;
        }
        let scores = self.scores(features);
        let score = scores[category as usize];
        // Only where the model reads the sentence as clean: not a claim of another kind
        // either (吃了三个月白头发都变黑了 is no guarantee, but a medical claim).
        let clean = scores.iter().all(|&s| s < OTHER_CLAIM);
        (score < veto && clean).then_some(score)
    }

    /// Serialises: magic, threshold, the twelve vetoes, then little-endian f32 weights.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAGIC.len() + 4 * (1 + self.veto.len() + self.weights.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.threshold.to_le_bytes());
        for veto in &self.veto {
            out.extend_from_slice(&veto.to_le_bytes());
        }
        for w in &self.weights {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Reads what [`Model::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Option<Model> {
        let (rest, with_veto) = match bytes.strip_prefix(MAGIC.as_slice()) {
            Some(rest) => (rest, true),
            None => (bytes.strip_prefix(MAGIC_V1.as_slice())?, false),
        };
        let float = |at: usize| rest.get(at..at + 4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let threshold = float(0)?;
        let mut veto = [0.0f32; 12];
        let body = if with_veto {
            for (i, slot) in veto.iter_mut().enumerate() {
                *slot = float(4 + 4 * i)?;
            }
            &rest[4 + 4 * veto.len()..]
        } else {
            &rest[4..]
        };
        if body.len() != Category::ALL.len() * (BUCKETS + 1) * 4 {
            return None;
        }
        let weights = body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        Some(Model { weights, threshold, veto })
    }

    /// One pass of AdaGrad over labelled sentences (multi-label, one-vs-rest logistic
    /// loss, positives weighted by `pos_weight[class]`, L2 `l2`).
    pub fn train_epoch(
        &mut self,
        data: &[(Vec<u32>, Vec<Category>)],
        order: &[usize],
        grad_sq: &mut [f32],
        rate: f32,
        l2: f32,
        pos_weight: &[f32; 12],
    ) {
        for &idx in order {
            let (features, labels) = &data[idx];
            for (class, category) in Category::ALL.iter().enumerate() {
                let offset = class * (BUCKETS + 1);
                let row = &self.weights[offset..offset + BUCKETS + 1];
                let z: f32 = row[BUCKETS] + features.iter().map(|&f| row[f as usize]).sum::<f32>();
                let p = 1.0 / (1.0 + (-z).exp());
                let positive = labels.contains(category);
                let (y, weight) = if positive { (1.0, pos_weight[class]) } else { (0.0, 1.0) };
                let g = (p - y) * weight;
                for &f in features.iter().chain(std::iter::once(&(BUCKETS as u32))) {
                    let at = offset + f as usize;
                    let grad = g + l2 * self.weights[at];
                    grad_sq[at] += grad * grad;
                    self.weights[at] -= rate * grad / (grad_sq[at].sqrt() + 1e-6);
                }
            }
        }
    }
}

/// The sentences of a line (split at 。！？!? and hard separators that end a sentence),
/// as byte ranges of the line, trimmed.
pub fn sentences(line: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (at, ch) in line.char_indices() {
        if matches!(ch, '。' | '！' | '？' | '!' | '?' | '；' | ';') {
            push_trimmed(line, start, at + ch.len_utf8(), &mut out);
            start = at + ch.len_utf8();
        }
    }
    push_trimmed(line, start, line.len(), &mut out);
    out
}

/// The clause of `sentence` (a range of `line`) that holds `start..end`: from the comma
/// before it to the comma after it (，、,：:), or the sentence's ends.
pub fn clause_around(line: &str, sentence: std::ops::Range<usize>, start: usize, end: usize) -> std::ops::Range<usize> {
    let is_comma = |c: char| matches!(c, '，' | '、' | ',' | '：' | ':');
    let from = line[sentence.start..start].rfind(is_comma).map_or(sentence.start, |at| {
        let at = sentence.start + at;
        at + line[at..].chars().next().map_or(1, char::len_utf8)
    });
    let to = line[end..sentence.end].find(is_comma).map_or(sentence.end, |at| end + at);
    from..to.max(from)
}

fn push_trimmed(line: &str, start: usize, end: usize, out: &mut Vec<std::ops::Range<usize>>) {
    let piece = &line[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead + trail < piece.len() && fold(piece).chars().any(|c| c != HARD) {
        out.push(start + lead..end - trail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_stable_and_folded() {
        assert_eq!(features("最低价"), features("最 低 價"));
        let best = features("the best");
        assert!(features("the bestseller").iter().filter(|f| best.contains(f)).count() == 1, "only `the` is shared");
        assert!(!features("治失眠").is_empty());
        assert!(features("").is_empty());
    }

    #[test]
    fn a_model_round_trips_through_bytes() {
        let mut model = Model::zeros();
        model.weights[7] = 0.5;
        model.threshold = 0.8;
        let back = Model::from_bytes(&model.to_bytes()).unwrap();
        assert_eq!(back.weights[7], 0.5);
        assert_eq!(back.threshold, 0.8);
        assert!(Model::from_bytes(b"nonsense").is_none());
    }

    #[test]
    fn sentences_split_at_sentence_ends_and_keep_their_ranges() {
        let line = "家人们好。 这个橙子很甜！还有吗";
        let parts: Vec<&str> = sentences(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(parts, ["家人们好。", "这个橙子很甜！", "还有吗"]);
    }
}
