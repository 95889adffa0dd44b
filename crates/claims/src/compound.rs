//! Patterns that compose lexicons (`{@efficacy-verb}{@disease}`) without multiplying them
//! out.
//!
//! A pattern with a lexicon reference is split once into a left and a right side, each a
//! set of folded alternatives, joined by a link: directly (`Join`, one space allowed
//! between two English words), by a short gap (`{g}`) or by a number (`{n}`). Only one
//! side's alternatives go into the automaton (the side whose shortest alternative is
//! longer, so fewer false starts; of two sides one of which is eight times larger, the
//! smaller, so the automaton stays small); the other side is checked where the link puts it, by
//! looking up the few possible lengths in a hash set. So `{@efficacy-verb}{@disease}`
//! costs 90 + 300 entries rather than 27,000 phrases, and loading stays fast.

use std::collections::HashSet;

use crate::lexicon::Lexicons;
use crate::normalize::{HARD, fold, is_word};
use crate::pattern::{Hit, MAX_GAP, number_backward, number_forward, read_class, read_group};

/// The longest stretch `{c}` bridges, in characters.
const MAX_CLAUSE_GAP: usize = 24;

/// The longest stretch `{s}` bridges, in characters.
const MAX_SENTENCE_GAP: usize = 40;

/// How many clause marks `{s}` may cross.
const MAX_SENTENCE_MARKS: usize = 2;

/// Most alternatives one side of a compound may hold after expansion.
const MAX_SIDE: usize = 20_000;

/// A set of folded alternatives.
#[derive(Debug, Clone)]
pub(crate) struct AltSet {
    /// The non-empty alternatives, folded, without duplicates, in source order.
    pub alts: Vec<String>,
    set: HashSet<String>,
    /// Distinct byte lengths of the alternatives, longest first.
    lens: Vec<usize>,
    /// The side may be empty (`(甲|)` at its edge).
    pub empty: bool,
}

impl AltSet {
    fn new(variants: Vec<String>) -> AltSet {
        let mut alts = Vec::new();
        let mut set = HashSet::new();
        let mut empty = false;
        for variant in variants {
            // Folded between two stand-ins, so that a clause mark at the side's edge
            // (再吃，| 口感最佳) is kept as the text's fold keeps it.
            let mark = |c: Option<char>| c.is_some_and(|c| !c.is_alphanumeric());
            let folded = if mark(variant.chars().next()) || mark(variant.chars().next_back()) {
                let folded = fold(&format!("甲{variant}乙"));
                folded.strip_prefix('甲').and_then(|f| f.strip_suffix('乙')).unwrap_or(&folded).to_owned()
            } else {
                fold(&variant)
            };
            if folded.is_empty() {
                empty = true;
            } else if set.insert(folded.clone()) {
                alts.push(folded);
            }
        }
        let mut lens: Vec<usize> = alts.iter().map(String::len).collect();
        lens.sort_unstable_by(|a, b| b.cmp(a));
        lens.dedup();
        AltSet { alts, set, lens, empty }
    }

    fn min_len(&self) -> usize {
        if self.empty { 0 } else { self.lens.last().copied().unwrap_or(0) }
    }

    /// Ends of alternatives that start at `from`, longest first; `from` itself when the
    /// side may be empty.
    fn ends_from(&self, text: &str, from: usize) -> Vec<usize> {
        let mut ends: Vec<usize> = self
            .lens
            .iter()
            .map(|len| from + len)
            .filter(|&end| end <= text.len() && text.is_char_boundary(end) && self.set.contains(&text[from..end]))
            .collect();
        if self.empty {
            ends.push(from);
        }
        ends
    }

    /// Starts of alternatives that end at `to`, longest first.
    fn starts_to(&self, text: &str, to: usize) -> Vec<usize> {
        let mut starts: Vec<usize> = self
            .lens
            .iter()
            .filter(|&&len| len <= to)
            .map(|len| to - len)
            .filter(|&start| text.is_char_boundary(start) && self.set.contains(&text[start..to]))
            .collect();
        if self.empty {
            starts.push(to);
        }
        starts
    }
}

/// How the two sides of a compound meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// Directly (one space allowed between two English words).
    Join,
    /// Up to [`MAX_GAP`] characters of the same clause.
    Gap,
    /// Anywhere later in the same clause, up to [`MAX_CLAUSE_GAP`] characters on
    /// (`{c}`: 某某牌那个咖啡就是香精调出来的).
    Clause,
    /// Up to [`MAX_SENTENCE_GAP`] characters on and across at most [`MAX_SENTENCE_MARKS`]
    /// clause marks (`{s}`: 拼夕夕那些帐篷，下点雨就漏，垃圾中的垃圾). For claims whose two
    /// halves a speaker puts in separate clauses. Folding makes every mark one, so a full
    /// stop counts as a comma here: the limits keep the reach short.
    Sentence,
    /// A number (`{n}`).
    Num,
}

/// A pattern with lexicon references, split into two sides.
#[derive(Debug, Clone)]
pub(crate) struct Compound {
    pub left: AltSet,
    pub link: Link,
    pub right: AltSet,
    /// The automaton searches for the right side's alternatives.
    pub key_right: bool,
}

enum Unit {
    Options(Vec<String>),
    Hole(Link),
}

impl Compound {
    fn max_gap(&self) -> usize {
        match self.link {
            Link::Clause => MAX_CLAUSE_GAP,
            Link::Sentence => MAX_SENTENCE_GAP,
            _ => MAX_GAP,
        }
    }

    /// How many clause marks the link may cross.
    fn max_marks(&self) -> usize {
        if self.link == Link::Sentence { MAX_SENTENCE_MARKS } else { 0 }
    }

    /// The alternatives the automaton searches for.
    pub fn keys(&self) -> &[String] {
        if self.key_right { &self.right.alts } else { &self.left.alts }
    }

    /// A text the pattern matches, for tests: the first alternative of each side with the
    /// link filled in.
    #[cfg(test)]
    pub fn sample(&self) -> String {
        let left = self.left.alts.first().cloned().unwrap_or_default();
        let right = self.right.alts.first().cloned().unwrap_or_default();
        let join = |a: &str, b: &str| {
            let space = a.ends_with(|c: char| c.is_ascii_alphanumeric()) && b.starts_with(|c: char| c.is_ascii_alphanumeric());
            if space { " " } else { "" }
        };
        match self.link {
            Link::Join => format!("{left}{}{right}", join(&left, &right)),
            Link::Gap | Link::Clause | Link::Sentence => format!("{left}{}芝麻{}{right}", join(&left, "x"), join("x", &right)),
            Link::Num => format!("{left}{}3{}{right}", join(&left, "3"), join("3", &right)),
        }
    }

    /// Checks a match of a key alternative at `key_start..key_end` and extends it over the
    /// other side.
    pub fn verify(&self, text: &str, key_start: usize, key_end: usize) -> Option<Hit> {
        let hit = if self.key_right {
            self.link_backward(text, key_start).map(|(start, value)| Hit { start, end: key_end, value })
        } else {
            self.link_forward(text, key_end).map(|(end, value)| Hit { start: key_start, end, value })
        }?;
        (hit.start < hit.end && at_word_boundary(text, hit.start, hit.end)).then_some(hit)
    }

    /// The end of the right side, reached from the end of the left side.
    fn link_forward(&self, text: &str, from: usize) -> Option<(usize, Option<f64>)> {
        match self.link {
            Link::Join => {
                let mut from = from;
                if text[from..].starts_with(' ') && text[..from].ends_with(is_word) {
                    from += 1;
                }
                self.right.ends_from(text, from).first().map(|&end| (end, None))
            }
            Link::Num => {
                let (value, mut end) = number_forward(text, from)?;
                if text[end..].starts_with(' ') && !self.right.empty {
                    end += 1;
                }
                self.right.ends_from(text, end).first().map(|&end| (end, Some(value)))
            }
            Link::Gap | Link::Clause | Link::Sentence => {
                let mut pos = from;
                let mut marks = 0;
                for _ in 0..=self.max_gap() {
                    if let Some(&end) = self.right.ends_from(text, pos).first() {
                        return Some((end, None));
                    }
                    let ch = text[pos..].chars().next()?;
                    if ch == HARD {
                        marks += 1;
                        if marks > self.max_marks() {
                            return None;
                        }
                    }
                    pos += ch.len_utf8();
                }
                None
            }
        }
    }

    /// The start of the left side, reached back from the start of the right side.
    fn link_backward(&self, text: &str, to: usize) -> Option<(usize, Option<f64>)> {
        match self.link {
            Link::Join => {
                let mut to = to;
                if text[..to].ends_with(' ') && text[to..].starts_with(is_word) {
                    to -= 1;
                }
                self.left.starts_to(text, to).first().map(|&start| (start, None))
            }
            Link::Num => {
                let (value, start) = number_backward(text, to)?;
                let mut to = start;
                if text[..to].ends_with(' ') && !self.left.empty {
                    to -= 1;
                }
                self.left.starts_to(text, to).first().map(|&start| (start, Some(value)))
            }
            Link::Gap | Link::Clause | Link::Sentence => {
                let mut pos = to;
                let mut marks = 0;
                for _ in 0..=self.max_gap() {
                    if let Some(&start) = self.left.starts_to(text, pos).first() {
                        return Some((start, None));
                    }
                    let ch = text[..pos].chars().next_back()?;
                    if ch == HARD {
                        marks += 1;
                        if marks > self.max_marks() {
                            return None;
                        }
                    }
                    pos -= ch.len_utf8();
                }
                None
            }
        }
    }
}

/// A match that starts or ends with an ASCII letter or digit must not continue a word.
fn at_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let first = text[start..].chars().next();
    let before = text[..start].chars().next_back();
    let last = text[..end].chars().next_back();
    let after = text[end..].chars().next();
    let joined = |a: Option<char>, b: Option<char>| a.is_some_and(is_word) && b.is_some_and(is_word);
    !joined(before, first) && !joined(last, after)
}

/// Compiles a pattern source holding `{@name}` references. Errors name the problem.
pub(crate) fn compile(source: &str, lexicons: &Lexicons) -> Result<Compound, String> {
    let units = units(source, lexicons)?;
    let holes: Vec<usize> = units.iter().enumerate().filter(|(_, u)| matches!(u, Unit::Hole(_))).map(|(i, _)| i).collect();
    let (left_units, link, right_units) = match holes.as_slice() {
        [] => {
            // Split where the larger side is smallest.
            let sizes: Vec<usize> = units
                .iter()
                .map(|u| match u {
                    Unit::Options(options) => options.len(),
                    Unit::Hole(_) => 1,
                })
                .collect();
            let product = |range: &[usize]| range.iter().fold(1usize, |acc, n| acc.saturating_mul(*n));
            // Each side is folded on its own, and folding drops a clause mark at a side's
            // edge: never split next to a unit that may be one (`(，|)`).
            let punctuation: Vec<bool> = units
                .iter()
                .map(|u| match u {
                    // (Only an option with a character other than a letter or digit can fold to one.)
                    Unit::Options(options) => options
                        .iter()
                        .any(|o| o.chars().any(|c| !c.is_alphanumeric()) && fold(&format!("甲{o}乙")).contains(HARD)),
                    Unit::Hole(_) => false,
                })
                .collect();
            let split = (1..units.len())
                .filter(|&i| !punctuation[i - 1] && !punctuation[i])
                .min_by_key(|&i| product(&sizes[..i]).max(product(&sizes[i..])))
                .ok_or_else(|| format!("pattern {source:?} needs text on both sides of a lexicon"))?;
            let (left, right) = units.split_at(split);
            (left, Link::Join, right)
        }
        [at] => {
            let Unit::Hole(link) = units[*at] else { unreachable!() };
            (&units[..*at], link, &units[at + 1..])
        }
        _ => return Err(format!("more than one placeholder in pattern {source:?}")),
    };
    let left = AltSet::new(product(left_units, source)?);
    let right = AltSet::new(product(right_units, source)?);
    if left.alts.is_empty() && right.alts.is_empty() {
        return Err(format!("no literal text in pattern {source:?}"));
    }
    if matches!(link, Link::Gap | Link::Clause | Link::Sentence) && (left.empty || right.empty) {
        return Err(format!("`{{g}}`, `{{c}}` and `{{s}}` need text before and after them in pattern {source:?}"));
    }
    // The automaton searches one side: one that cannot be empty; of two such, the much
    // smaller set (fewer keys to build), else the one whose shortest phrase is longer
    // (fewer false starts).
    let key_right = if left.alts.is_empty() || left.empty {
        true
    } else if right.alts.is_empty() || right.empty {
        false
    } else if left.alts.len() * 8 < right.alts.len() {
        false
    } else if right.alts.len() * 8 < left.alts.len() {
        true
    } else {
        right.min_len() > left.min_len()
    };
    Ok(Compound { left, link, right, key_right })
}

fn product(units: &[Unit], source: &str) -> Result<Vec<String>, String> {
    let mut variants = vec![String::new()];
    for unit in units {
        let Unit::Options(options) = unit else { continue };
        if let [only] = options.as_slice() {
            // Literal text: appended in place.
            for variant in &mut variants {
                variant.push_str(only);
            }
            continue;
        }
        let mut next = Vec::with_capacity(variants.len() * options.len());
        for variant in &variants {
            for option in options {
                let mut joined = String::with_capacity(variant.len() + option.len());
                joined.push_str(variant);
                joined.push_str(option);
                next.push(joined);
            }
        }
        if next.len() > MAX_SIDE {
            return Err(format!("one side of pattern {source:?} expands to more than {MAX_SIDE} phrases"));
        }
        variants = next;
    }
    Ok(variants)
}

fn units(source: &str, lexicons: &Lexicons) -> Result<Vec<Unit>, String> {
    let mut units = Vec::new();
    let mut chars = source.chars().peekable();
    while let Some(ch) = chars.next() {
        let unit = match ch {
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(format!("unclosed `{{` in pattern {source:?}")),
                    }
                }
                match name.as_str() {
                    "g" => Unit::Hole(Link::Gap),
                    "c" => Unit::Hole(Link::Clause),
                    "s" => Unit::Hole(Link::Sentence),
                    "n" => Unit::Hole(Link::Num),
                    "w" => return Err(format!("`{{w}}` cannot be used with a lexicon in pattern {source:?}")),
                    _ => match name.strip_prefix('@') {
                        Some(lexicon) => Unit::Options(
                            lexicons
                                .entries(lexicon)
                                .ok_or_else(|| format!("unknown lexicon {{@{lexicon}}} in pattern {source:?}"))?
                                .to_vec(),
                        ),
                        None => return Err(format!("unknown placeholder {{{name}}} in pattern {source:?}")),
                    },
                }
            }
            '[' => Unit::Options(read_class(&mut chars, source)?),
            '(' => {
                let body = read_group(&mut chars, source)?;
                // An alternative may itself be a lexicon: `(包退|{@recommend-verb})`.
                let mut options = Vec::new();
                for alt in body.split('|') {
                    match alt.strip_prefix("{@").and_then(|rest| rest.strip_suffix('}')) {
                        Some(lexicon) => options.extend(
                            lexicons
                                .entries(lexicon)
                                .ok_or_else(|| format!("unknown lexicon {{@{lexicon}}} in pattern {source:?}"))?
                                .iter()
                                .cloned(),
                        ),
                        None if alt.contains('{') => {
                            return Err(format!("only a whole lexicon may stand in `(..|..)` in pattern {source:?}"));
                        }
                        None => options.push(alt.to_owned()),
                    }
                }
                Unit::Options(options)
            }
            ']' | ')' => return Err(format!("unmatched `{ch}` in pattern {source:?}")),
            '?' | '*' | '\\' => {
                return Err(format!("`{ch}` is not pattern syntax in {source:?} (write optional text as `(text|)`)"));
            }
            _ => Unit::Options(vec![ch.to_string()]),
        };
        units.push(unit);
    }
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicons() -> Lexicons {
        let mut lexicons = Lexicons::default();
        lexicons.extend("verb", &["降".into(), "治".into(), "调理".into()], "t").unwrap();
        lexicons.extend("disease", &["血压".into(), "失眠".into(), "月经不调".into()], "t").unwrap();
        lexicons
    }

    fn find(source: &str, text: &str) -> Option<String> {
        let compound = compile(source, &lexicons()).unwrap();
        let text = fold(text);
        for key in compound.keys() {
            for (at, _) in text.match_indices(key.as_str()) {
                if let Some(hit) = compound.verify(&text, at, at + key.len()) {
                    return Some(text[hit.start..hit.end].to_owned());
                }
            }
        }
        None
    }

    #[test]
    fn two_lexicons_join_without_multiplying() {
        let compound = compile("{@verb}{@disease}", &lexicons()).unwrap();
        assert_eq!(compound.left.alts.len() + compound.right.alts.len(), 6);
        assert_eq!(find("{@verb}{@disease}", "喝了能降血压"), Some("降血压".into()));
        assert_eq!(find("{@verb}{@disease}", "专门调理月经不调"), Some("调理月经不调".into()));
        assert_eq!(find("{@verb}{@disease}", "降温了注意失眠"), None);
    }

    #[test]
    fn a_gap_stays_in_its_clause() {
        assert_eq!(find("{@verb}{g}{@disease}", "能降你的血压"), Some("降你的血压".into()));
        assert_eq!(find("{@verb}{g}{@disease}", "降价了，血压"), None);
    }

    #[test]
    fn a_clause_link_reaches_further_but_not_past_the_clause() {
        let source = "{@verb}{c}{@disease}";
        assert_eq!(find(source, "能降我们家老人多年的血压"), Some("降我们家老人多年的血压".into()));
        assert_eq!(find(source, "降价了，多年的血压"), None);
    }

    #[test]
    fn a_clause_mark_at_the_edge_of_a_side_is_kept() {
        // Split after (，|)(那个|): the left side ends in the comma when it is written.
        let source = "{@disease}(，|)(那个|)(口感|味道)最";
        assert_eq!(find(source, "失眠，口感最"), Some("失眠|口感最".into()), "the comma folds to the clause mark");
        assert_eq!(find(source, "失眠口感最"), Some("失眠口感最".into()));
    }

    #[test]
    fn alternatives_around_a_lexicon() {
        assert_eq!(find("(对|给){@disease}(有效|有好处)", "对失眠有好处"), Some("对失眠有好处".into()));
        assert_eq!(find("{@disease}(好了|没了)", "失眠好了"), Some("失眠好了".into()));
        assert!(compile("(包退|{@verb})", &lexicons()).is_err(), "a one-unit pattern has no second side");
    }

    #[test]
    fn english_words_keep_their_boundaries() {
        let mut lexicons = Lexicons::default();
        lexicons.extend("v", &["lowers".into(), "cures".into()], "t").unwrap();
        lexicons.extend("d", &["cholesterol".into(), "colds".into()], "t").unwrap();
        let compound = compile("{@v} {@d}", &lexicons).unwrap();
        let text = fold("It lowers cholesterol fast");
        let at = text.find("cholesterol").unwrap();
        let hit = compound.verify(&text, at, at + "cholesterol".len()).or_else(|| {
            let at = text.find("lowers").unwrap();
            compound.verify(&text, at, at + 6)
        });
        assert_eq!(hit.map(|h| &text[h.start..h.end]), Some("lowers cholesterol"));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(compile("{@nope}{@verb}", &lexicons()).unwrap_err().contains("unknown lexicon"));
        assert!(compile("{@verb}{g}{@disease}{n}", &lexicons()).unwrap_err().contains("more than one placeholder"));
    }
}
