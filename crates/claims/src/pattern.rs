//! The small pattern language of rule packs.
//!
//! A pattern is literal text with three additions, kept few so that a compliance officer
//! can read a pack:
//!
//! - `[abc]` is one character out of `a`, `b`, `c` (`第一[次天批]`);
//! - `(甲|乙)` is one of the alternatives (`(仅|只)剩`), not nested;
//! - `{n}` is a number (`199`, `19.9`, `三`, `两百`, `10万+`); `{w}` is the rest of the
//!   clause (at most 20 characters); `{g}` is a short gap of up to 6 characters within the
//!   clause (`别家的{g}都是` matches 别家的芝麻丸都是). A pattern holds at most one of them,
//!   and `{w}` and `{g}` need literal text before them (`{g}` also after).
//!
//! `{n}` also reads English number words (`a hundred and forty nine`, `twelve thousand`).
//! Patterns with `{@lexicon}` references, a clause link `{c}`, a sentence link `{s}` or more than a few dozen
//! alternatives compile to compounds instead (see `compound`).
//!
//! Alternatives expand into plain patterns when the pack loads. Each literal part is folded
//! the same way as the text (see `normalize`), so `最低價`, `最 低 价` and `最低价` in a pack
//! are one pattern.

use crate::normalize::{HARD, fold, is_word};

/// What a placeholder matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Hole {
    /// `{n}`: a number.
    Num,
    /// `{w}`: the rest of the clause.
    Words,
    /// `{g}`: up to [`MAX_GAP`] characters of the clause between two literals.
    Gap,
}

/// One expanded pattern: folded literal text around at most one placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub prefix: String,
    pub hole: Option<Hole>,
    pub suffix: String,
}

impl Pattern {
    /// The literal the automaton searches for: the prefix, or the suffix when the
    /// placeholder comes first.
    pub fn key(&self) -> &str {
        if self.key_is_suffix() {
            &self.suffix
        } else {
            &self.prefix
        }
    }

    /// True when the automaton searches for the suffix: the placeholder comes first, or a
    /// `{g}` gap has a longer literal after it than before (`对{g}病有好处` is found by
    /// 病有好处, not by the common 对).
    pub fn key_is_suffix(&self) -> bool {
        self.prefix.is_empty()
            || (self.hole == Some(Hole::Gap) && self.suffix.chars().count() > self.prefix.chars().count())
    }
}

/// Where a pattern matched in folded text, and what its placeholder captured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    /// The number `{n}` matched.
    pub value: Option<f64>,
}

const MAX_EXPANSIONS: usize = 4096;
const MAX_WORDS: usize = 20;
/// The longest gap `{g}` bridges, in characters.
pub(crate) const MAX_GAP: usize = 6;

/// Expands the pattern syntax into plain patterns. (Patterns with `{@lexicon}` references
/// compile to a [`crate::compound::Compound`] instead.)
///
/// Errors name the problem in words a pack author understands.
pub(crate) fn expand(source: &str) -> Result<Vec<Pattern>, String> {
    let variants = expand_variants(source)?;
    let mut patterns = Vec::with_capacity(variants.len());
    let mut seen = std::collections::HashSet::with_capacity(variants.len());
    for variant in variants {
        let pattern =
            split_hole(&variant).map_err(|error| format!("{error} in pattern {source:?}"))?;
        if seen.insert((pattern.prefix.clone(), pattern.hole, pattern.suffix.clone())) {
            patterns.push(pattern);
        }
    }
    Ok(patterns)
}

/// Expands `[..]` and `(..|..)` only (lexicon entries), without folding.
pub(crate) fn expand_alternatives(source: &str) -> Result<Vec<String>, String> {
    expand_variants(source)
}

fn expand_variants(source: &str) -> Result<Vec<String>, String> {
    let limit = MAX_EXPANSIONS;
    let mut variants: Vec<String> = vec![String::new()];
    let mut chars = source.chars().peekable();
    while let Some(ch) = chars.next() {
        let options: Vec<String> = match ch {
            '[' => read_class(&mut chars, source)?,
            '(' => read_group(&mut chars, source)?.split('|').map(str::to_owned).collect(),
            ']' | ')' => return Err(format!("unmatched `{ch}` in pattern {source:?}")),
            // Regular-expression habits would silently fold away as punctuation.
            '?' | '*' | '\\' => {
                return Err(format!("`{ch}` is not pattern syntax in {source:?} (write optional text as `(text|)`)"));
            }
            _ => {
                // A run of literal text is appended to every variant in place (most of a
                // pack's text: no new strings for each of its characters).
                let mut literal = String::from(ch);
                while let Some(&next) = chars.peek() {
                    if matches!(next, '[' | '(' | ']' | ')' | '?' | '*' | '\\') {
                        break;
                    }
                    literal.push(next);
                    chars.next();
                }
                for variant in &mut variants {
                    variant.push_str(&literal);
                }
                continue;
            }
        };
        let mut next = Vec::with_capacity(variants.len() * options.len());
        for variant in &variants {
            for option in &options {
                let mut joined = String::with_capacity(variant.len() + option.len());
                joined.push_str(variant);
                joined.push_str(option);
                next.push(joined);
            }
        }
        if next.len() > limit {
            return Err(format!("pattern {source:?} expands to more than {limit} variants"));
        }
        variants = next;
    }
    Ok(variants)
}

/// After a `[`: the characters up to `]`, each one option.
pub(crate) fn read_class(chars: &mut impl Iterator<Item = char>, source: &str) -> Result<Vec<String>, String> {
    let mut options = Vec::new();
    loop {
        match chars.next() {
            Some(']') => break,
            Some(option) => options.push(option.to_string()),
            None => return Err(format!("unclosed `[` in pattern {source:?}")),
        }
    }
    if options.is_empty() {
        return Err(format!("empty `[]` in pattern {source:?}"));
    }
    Ok(options)
}

/// After a `(`: the text up to `)` (alternatives still joined by `|`).
pub(crate) fn read_group(chars: &mut impl Iterator<Item = char>, source: &str) -> Result<String, String> {
    let mut body = String::new();
    loop {
        match chars.next() {
            Some(')') => return Ok(body),
            Some('(') => return Err(format!("nested `(` in pattern {source:?}")),
            Some(inner) => body.push(inner),
            None => return Err(format!("unclosed `(` in pattern {source:?}")),
        }
    }
}

fn split_hole(variant: &str) -> Result<Pattern, String> {
    let mut hole = None;
    let mut prefix = variant;
    let mut suffix = "";
    let placeholders: &[(&str, Hole)] =
        if variant.contains('{') { &[("{n}", Hole::Num), ("{w}", Hole::Words), ("{g}", Hole::Gap)] } else { &[] };
    for &(token, kind) in placeholders {
        if let Some(at) = variant.find(token) {
            if hole.is_some() || variant[at + token.len()..].contains(token) {
                return Err("more than one placeholder".to_owned());
            }
            hole = Some(kind);
            prefix = &variant[..at];
            suffix = &variant[at + token.len()..];
        }
    }
    if variant.contains('{') && hole.is_none() {
        return Err("unknown placeholder (use {n}, {w} or {g})".to_owned());
    }
    let pattern = Pattern {
        prefix: fold(prefix),
        hole,
        suffix: fold(suffix),
    };
    if pattern.key().is_empty() {
        return Err("no literal text".to_owned());
    }
    if hole == Some(Hole::Words) && pattern.prefix.is_empty() {
        return Err("`{w}` needs literal text before it".to_owned());
    }
    if hole == Some(Hole::Gap) && (pattern.prefix.is_empty() || pattern.suffix.is_empty()) {
        return Err("`{g}` needs literal text before and after it".to_owned());
    }
    Ok(pattern)
}

/// Checks a match of `pattern.key()` at `key_start..key_end` in folded `text` and
/// extends it over the placeholder and the other literal. Returns `None` when the
/// placeholder or word boundaries do not fit.
pub(crate) fn verify(
    pattern: &Pattern,
    text: &str,
    key_start: usize,
    key_end: usize,
) -> Option<Hit> {
    let mut hit = Hit {
        start: key_start,
        end: key_end,
        value: None,
    };
    if pattern.key_is_suffix() {
        if pattern.hole == Some(Hole::Gap) {
            hit.start = gap_backward(text, key_start, &pattern.prefix)?;
        } else {
            let (value, start) = number_backward(text, key_start)?;
            hit.value = Some(value);
            hit.start = start;
        }
    } else {
        match pattern.hole {
            None => {}
            Some(Hole::Num) => {
                let (value, end) = number_forward(text, key_end)?;
                hit.value = Some(value);
                hit.end = end;
            }
            Some(Hole::Words) => {
                hit.end = words_forward(text, key_end)?;
            }
            Some(Hole::Gap) => {
                hit.end = gap_forward(text, key_end, &pattern.suffix)?;
            }
        }
        if matches!(pattern.hole, Some(Hole::Num | Hole::Words)) && !pattern.suffix.is_empty() {
            let rest = &text[hit.end..];
            let skipped = if rest.starts_with(' ') { 1 } else { 0 };
            if !rest[skipped..].starts_with(pattern.suffix.as_str()) {
                return None;
            }
            hit.end += skipped + pattern.suffix.len();
        }
    }
    at_word_boundary(text, hit.start, hit.end).then_some(hit)
}

/// A match that starts or ends with an ASCII letter or digit must not continue a word:
/// `best` does not match inside `bestow`, nor `top1` inside `top10`.
fn at_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let first = text[start..].chars().next();
    let before = text[..start].chars().next_back();
    let last = text[..end].chars().next_back();
    let after = text[end..].chars().next();
    let joined =
        |a: Option<char>, b: Option<char>| a.is_some_and(is_word) && b.is_some_and(is_word);
    !joined(before, first) && !joined(last, after)
}

fn is_number_char(ch: char) -> bool {
    ch.is_ascii_digit()
        || ch == '.'
        || chinese_digit(ch).is_some()
        || matches!(ch, '十' | '百' | '千' | '万' | '亿')
        || is_approximate(ch)
}

/// 十几, 六百多, 两千余: approximate counts, read as their round part.
fn is_approximate(ch: char) -> bool {
    matches!(ch, '几' | '多' | '余')
}

/// Parses a number starting at `from` (after optional spaces, clause breaks and currency
/// signs), with an optional 万/w/k multiplier and `+`. Returns the value and its end.
pub(crate) fn number_forward(text: &str, from: usize) -> Option<(f64, usize)> {
    let mut pos = from;
    for _ in 0..3 {
        match text[pos..].chars().next() {
            Some(ch @ (' ' | HARD | '¥' | '$')) => pos += ch.len_utf8(),
            _ => break,
        }
    }
    let digits_start = pos;
    while let Some(ch) = text[pos..].chars().next() {
        if !is_number_char(ch) {
            break;
        }
        pos += ch.len_utf8();
    }
    if pos == digits_start {
        return english_forward(text, digits_start);
    }
    let mut value = parse_number(&text[digits_start..pos])?;
    if let Some(ch @ ('w' | 'k')) = text[pos..].chars().next() {
        let next = text[pos + 1..].chars().next();
        if !next.is_some_and(is_word) {
            value *= if ch == 'w' { 10_000.0 } else { 1_000.0 };
            pos += 1;
        }
    }
    if text[pos..].starts_with('+') {
        pos += 1;
    }
    Some((value, pos))
}

/// Parses a number that ends at `to` (before optional spaces), for patterns like `{n}人在抢`.
pub(crate) fn number_backward(text: &str, to: usize) -> Option<(f64, usize)> {
    let mut end = to;
    if text[..end].ends_with(' ') {
        end -= 1;
    }
    let mut start = end;
    while let Some(ch) = text[..start].chars().next_back() {
        if is_number_char(ch) || matches!(ch, '+' | 'w' | 'k') {
            start -= ch.len_utf8();
        } else {
            break;
        }
    }
    // Only a number may come before the key; skip letters that merely look like units.
    while start < end && !text[start..].starts_with(|ch: char| is_number_char(ch)) {
        start += text[start..].chars().next()?.len_utf8();
    }
    if start == end {
        return english_backward(text, end);
    }
    // 第一天 is an ordinal, not a count of days.
    if text[..start].ends_with('第') {
        return None;
    }
    let (value, parsed_end) = number_forward(text, start)?;
    (parsed_end == end).then_some((value, start))
}

/// The value of an English number word, and whether it scales what came before.
fn english_word(word: &str) -> Option<(f64, bool)> {
    const UNITS: [&str; 20] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];
    const TENS: [&str; 8] = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    if let Some(n) = UNITS.iter().position(|u| *u == word) {
        return Some((n as f64, false));
    }
    if let Some(n) = TENS.iter().position(|t| *t == word) {
        return Some(((n as f64 + 2.0) * 10.0, false));
    }
    match word {
        "hundred" => Some((100.0, true)),
        "thousand" | "k" | "grand" => Some((1_000.0, true)),
        "million" => Some((1_000_000.0, true)),
        "dozen" => Some((12.0, true)),
        _ => None,
    }
}

/// Parses English number words starting at `from` ("a hundred and forty nine", "twelve
/// thousand", "ten k"). Folded text has single spaces between words.
fn english_forward(text: &str, from: usize) -> Option<(f64, usize)> {
    let (mut total, mut current, mut seen, mut end) = (0.0f64, 0.0f64, false, from);
    let mut pos = from;
    loop {
        let rest = &text[pos..];
        let len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        let word = &rest[..len];
        let next_pos = pos + len;
        match (word, english_word(word)) {
            (_, Some((value, false))) => {
                // A new tens or teens word after a complete group starts another number
                // ("fifty nine ninety nine" is 59, then 99).
                let group = current % 100.0;
                let fits = if value >= 10.0 { group == 0.0 } else { group % 10.0 == 0.0 && !(10.0..20.0).contains(&group) };
                if !fits {
                    break;
                }
                current += value;
                seen = true;
                end = next_pos;
            }
            (_, Some((scale, true))) if seen || current == 0.0 => {
                // "a hundred", "hundred" after a unit, "thousand" closing a group.
                let base = if current == 0.0 { 1.0 } else { current };
                if scale >= 1_000.0 {
                    total += base * scale;
                    current = 0.0;
                } else {
                    current = base * scale;
                }
                seen = true;
                end = next_pos;
            }
            ("a", None) if !seen => {}
            ("and", None) if seen => {}
            _ => break,
        }
        if !text[next_pos..].starts_with(' ') {
            break;
        }
        pos = next_pos + 1;
    }
    seen.then_some((total + current, end))
}

/// Parses English number words that end at `to`.
fn english_backward(text: &str, to: usize) -> Option<(f64, usize)> {
    let mut start = to;
    let mut earliest = None;
    loop {
        let before = &text[..start];
        let word_start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_ascii_alphabetic())
            .map_or(0, |(at, c)| at + c.len_utf8());
        let word = &before[word_start..];
        if word.is_empty() || !(english_word(word).is_some() || matches!(word, "a" | "and")) {
            break;
        }
        if english_word(word).is_some() {
            earliest = Some(word_start);
        }
        if word_start == 0 || !text[..word_start].ends_with(' ') {
            break;
        }
        start = word_start - 1;
    }
    let start = earliest?;
    let (value, end) = english_forward(text, start)?;
    (end == to).then_some((value, start))
}

/// The end of `suffix` when it starts within [`MAX_GAP`] characters of `from` in the same
/// clause (the gap may be empty).
fn gap_forward(text: &str, from: usize, suffix: &str) -> Option<usize> {
    let mut pos = from;
    for _ in 0..=MAX_GAP {
        if text[pos..].starts_with(suffix) {
            return Some(pos + suffix.len());
        }
        let ch = text[pos..].chars().next()?;
        if ch == HARD {
            return None;
        }
        pos += ch.len_utf8();
    }
    None
}

/// The start of `prefix` when it ends within [`MAX_GAP`] characters before `to` in the same
/// clause (the gap may be empty).
fn gap_backward(text: &str, to: usize, prefix: &str) -> Option<usize> {
    let mut pos = to;
    for _ in 0..=MAX_GAP {
        if text[..pos].ends_with(prefix) {
            return Some(pos - prefix.len());
        }
        let ch = text[..pos].chars().next_back()?;
        if ch == HARD {
            return None;
        }
        pos -= ch.len_utf8();
    }
    None
}

fn words_forward(text: &str, from: usize) -> Option<usize> {
    let mut pos = from;
    for (n_chars, ch) in text[from..].chars().enumerate() {
        if ch == HARD || n_chars == MAX_WORDS {
            break;
        }
        pos += ch.len_utf8();
    }
    // A trailing space is a separator, not part of the words.
    let end = from + text[from..pos].trim_end().len();
    (end > from).then_some(end)
}

fn chinese_digit(ch: char) -> Option<u32> {
    Some(match ch {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Parses `199`, `19.9`, `1.5万`, `三`, `十五`, `两百`, `三千五`, `10万`.
pub(crate) fn parse_number(digits: &str) -> Option<f64> {
    let mut total = 0.0f64;
    let mut section = 0.0f64;
    let mut current: Option<f64> = None;
    let mut ascii = String::new();
    let flush_ascii = |ascii: &mut String, current: &mut Option<f64>| -> Option<()> {
        if !ascii.is_empty() {
            *current = Some(ascii.parse::<f64>().ok()?);
            ascii.clear();
        }
        Some(())
    };
    let mut last_unit = 1.0;
    if digits.chars().all(is_approximate) {
        return None;
    }
    for ch in digits.chars() {
        if is_approximate(ch) {
            continue;
        }
        if ch.is_ascii_digit() || ch == '.' {
            ascii.push(ch);
            continue;
        }
        flush_ascii(&mut ascii, &mut current)?;
        if let Some(digit) = chinese_digit(ch) {
            if digit == 0 {
                // 一百零八: after 零 the next digit counts in ones.
                last_unit = 1.0;
            }
            current = Some(current.unwrap_or(0.0) * 10.0 + f64::from(digit));
            continue;
        }
        let unit = match ch {
            '十' => 10.0,
            '百' => 100.0,
            '千' => 1_000.0,
            '万' => 10_000.0,
            '亿' => 100_000_000.0,
            _ => return None,
        };
        if unit >= 10_000.0 {
            section += current.take().unwrap_or(0.0);
            total += if section == 0.0 { unit } else { section * unit };
            section = 0.0;
        } else {
            section += current.take().unwrap_or(1.0) * unit;
        }
        last_unit = unit;
    }
    flush_ascii(&mut ascii, &mut current)?;
    // 三千五 means 3500: a trailing digit after a unit counts in the next lower unit.
    let tail = match current {
        Some(digit) if (100.0..10_000.0).contains(&last_unit) && digit < 10.0 => {
            digit * last_unit / 10.0
        }
        Some(value) => value,
        None => 0.0,
    };
    let value = total + section + tail;
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_plain(source: &str) -> Result<Vec<Pattern>, String> {
        expand(source)
    }

    #[test]
    fn english_number_words_are_numbers() {
        let cases = [
            ("a hundred and forty nine dollars", 149.0, "a hundred and forty nine"),
            ("twelve thousand people", 12_000.0, "twelve thousand"),
            ("two million bottles", 2_000_000.0, "two million"),
            ("ten k a month", 10_000.0, "ten k"),
            ("fifty nine ninety nine", 59.0, "fifty nine"),
        ];
        for (text, value, words) in cases {
            let (parsed, end) = number_forward(text, 0).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((parsed, &text[..end]), (value, words), "{text}");
        }
        assert_eq!(number_forward("a box", 0), None);
        let text = "there are four thousand";
        assert_eq!(number_backward(text, text.len()), Some((4_000.0, 10)));
    }

    #[test]
    fn classes_and_groups_expand() {
        let patterns = expand_plain("(仅|只)剩{n}[件单]").unwrap();
        let keys: Vec<_> = patterns
            .iter()
            .map(|p| (p.prefix.as_str(), p.suffix.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("仅剩", "件"),
                ("仅剩", "单"),
                ("只剩", "件"),
                ("只剩", "单")
            ]
        );
    }

    #[test]
    fn bad_patterns_are_explained() {
        let table = [
            ("最[低", "unclosed `[`"),
            ("(a|b", "unclosed `(`"),
            ("{n}", "no literal text"),
            ("{w}送", "`{w}` needs literal text"),
            ("送{x}", "unknown placeholder"),
            ("{n}到{n}", "more than one placeholder"),
            ("别家{g}", "`{g}` needs literal text before and after"),
            ("best[- ]?seller", "`?` is not pattern syntax"),
        ];
        for (source, expected) in table {
            let error = expand_plain(source).unwrap_err();
            assert!(error.contains(expected), "{source:?}: {error}");
        }
    }

    #[test]
    fn approximate_words_alone_are_not_numbers() {
        assert_eq!(parse_number("多"), None);
        assert_eq!(parse_number("几"), None);
    }

    #[test]
    fn numbers_parse() {
        let table = [
            ("199", 199.0),
            ("19.9", 19.9),
            ("三", 3.0),
            ("十五", 15.0),
            ("两百", 200.0),
            ("三千五", 3500.0),
            ("10万", 100_000.0),
            ("1.5万", 15_000.0),
            ("二十", 20.0),
            ("一百零八", 108.0),
            ("十几", 10.0),
            ("六百多", 600.0),
        ];
        for (digits, expected) in table {
            assert_eq!(parse_number(digits), Some(expected), "{digits}");
        }
    }

    #[test]
    fn placeholders_extend_the_match() {
        let pattern = &expand_plain("仅剩{n}件").unwrap()[0];
        let text = fold("家人们仅剩3件了");
        let key_start = text.find("仅剩").unwrap();
        let hit = verify(pattern, &text, key_start, key_start + "仅剩".len()).unwrap();
        assert_eq!(&text[hit.start..hit.end], "仅剩3件");
        assert_eq!(hit.value, Some(3.0));

        let pattern = &expand_plain("{n}人在抢").unwrap()[0];
        let text = fold("直播间10万+人在抢");
        let key_start = text.find("人在抢").unwrap();
        let hit = verify(pattern, &text, key_start, key_start + "人在抢".len()).unwrap();
        assert_eq!(&text[hit.start..hit.end], "10万+人在抢");
        assert_eq!(hit.value, Some(100_000.0));
    }

    #[test]
    fn words_take_the_rest_of_the_clause() {
        let pattern = &expand_plain("送{w}").unwrap()[0];
        let text = fold("下单送一个开果器，明天发");
        let key_start = text.find("送").unwrap();
        let hit = verify(pattern, &text, key_start, key_start + "送".len()).unwrap();
        assert_eq!(&text[hit.start..hit.end], "送一个开果器");
        // Nothing after the key: no match.
        let text = fold("下单送");
        assert_eq!(
            verify(pattern, &text, text.find("送").unwrap(), text.len()),
            None
        );
    }

    #[test]
    fn gaps_bridge_a_few_characters_of_one_clause() {
        let pattern = &expand_plain("别家的{g}都是").unwrap()[0];
        let check = |input: &str| {
            let text = fold(input);
            let key_start = text.find("别家的")?;
            verify(pattern, &text, key_start, key_start + "别家的".len())
                .map(|hit| text[hit.start..hit.end].to_owned())
        };
        assert_eq!(
            check("别家的芝麻丸都是糖").as_deref(),
            Some("别家的芝麻丸都是")
        );
        assert_eq!(check("别家的都是糖").as_deref(), Some("别家的都是"));
        assert_eq!(check("别家的东西，我们都是自己种的"), None);
        assert_eq!(check("别家的那个牌子的黑芝麻丸都是"), None);

        // A longer literal after the gap is the key, and the match is found backwards.
        let pattern = &expand_plain("对{g}病有好处").unwrap()[0];
        assert!(pattern.key_is_suffix());
        let text = fold("经常吃对胃病有好处");
        let key_start = text.find("病有好处").unwrap();
        let hit = verify(pattern, &text, key_start, key_start + "病有好处".len()).unwrap();
        assert_eq!(&text[hit.start..hit.end], "对胃病有好处");
        let text = fold("对，病有好处");
        let key_start = text.find("病有好处").unwrap();
        assert_eq!(verify(pattern, &text, key_start, key_start + "病有好处".len()), None);
    }

    #[test]
    fn ordinals_are_not_counts() {
        let pattern = &expand_plain("{n}天发货").unwrap()[0];
        let text = fold("第一天发货的是老订单");
        let key_start = text.find("天发货").unwrap();
        assert_eq!(
            verify(pattern, &text, key_start, key_start + "天发货".len()),
            None
        );
        let text = fold("三天发货");
        let hit = verify(pattern, &text, text.find("天发货").unwrap(), text.len()).unwrap();
        assert_eq!(hit.value, Some(3.0));
    }

    #[test]
    fn english_words_keep_their_boundaries() {
        let pattern = &expand_plain("best").unwrap()[0];
        let text = fold("bestow the best");
        let hits: Vec<_> = text
            .match_indices("best")
            .filter_map(|(at, key)| verify(pattern, &text, at, at + key.len()))
            .collect();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].start, text.rfind("best").unwrap());
    }
}
