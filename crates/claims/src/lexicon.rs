//! Lexicons: named word lists that rules compose into a claims grammar.
//!
//! A lexicon is a TOML file a compliance officer can read (the defaults are in
//! `assets/lexicons/`), with its source and licence:
//!
//! ```toml
//! name = "disease"                 # used in patterns as {@disease}
//! title = "疾病与症状（口语说法）"
//! source = "where the words come from"
//! licence = "the licence they are used under"
//! entries = ["高血压", "三高", "(颈|腰)椎病"]
//! ```
//!
//! Entries use the pattern syntax without placeholders (`[abc]`, `(甲|乙)`). A pattern
//! refers to a lexicon as `{@name}`, which stands for any of its entries:
//! `{@efficacy-verb}{@disease}` is 降血压, 治失眠, 调理肠胃 … and
//! `{@efficacy-verb}{g}{@disease}` allows a few characters between the two. So a rule
//! states a kind of claim (an efficacy verb applied to a disease) rather than a list of
//! sentences, and a finding covers the whole claim.
//!
//! A team pack may add entries to a lexicon (`[lexicon] disease = ["…"]`); they take effect
//! in every rule that uses it. The lexicon named `negation` is special: a match preceded in
//! its clause by one of its entries (不能, 不是, not …) is a denial, not a claim, unless the
//! rule says `negatable = false`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::pattern;

/// A lexicon as loaded: its description and its expanded entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lexicon {
    pub name: String,
    pub title: String,
    pub source: String,
    pub licence: String,
    /// Entries as written (for display).
    pub sources: Vec<String>,
    /// Entries with `[..]` and `(..|..)` expanded, not folded, without duplicates.
    pub expanded: Vec<String>,
    /// Entries a team pack added, as written.
    pub team_sources: Vec<String>,
}

/// What Settings → Rules and `--explain` show of a lexicon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LexiconSummary {
    /// The name patterns use, as in `{@disease}`.
    pub name: String,
    /// What the list holds, in words.
    pub title: String,
    /// Where the entries come from.
    pub source: String,
    /// The licence they are used under.
    pub licence: String,
    /// Entries as written in the default lexicon.
    pub entries: u32,
    /// Phrases after expanding `[..]` and `(..|..)`, team additions included.
    pub phrases: u32,
    /// Entries a team pack added.
    pub team_entries: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLexicon {
    name: String,
    title: String,
    source: String,
    licence: String,
    entries: Vec<String>,
}

/// All lexicons, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lexicons {
    by_name: BTreeMap<String, Lexicon>,
}

/// The default lexicons, embedded in the binary: `(file name, source)`.
pub(crate) const DEFAULT_LEXICONS: &[(&str, &str)] = &[
    ("negation.toml", include_str!("../../../assets/lexicons/negation.toml")),
    ("retraction.toml", include_str!("../../../assets/lexicons/retraction.toml")),
    ("evidence.toml", include_str!("../../../assets/lexicons/evidence.toml")),
    ("disease.toml", include_str!("../../../assets/lexicons/disease.toml")),
    ("body-function.toml", include_str!("../../../assets/lexicons/body-function.toml")),
    ("efficacy-verb.toml", include_str!("../../../assets/lexicons/efficacy-verb.toml")),
    ("own-scope.toml", include_str!("../../../assets/lexicons/own-scope.toml")),
    ("usage.toml", include_str!("../../../assets/lexicons/usage.toml")),
    ("position.toml", include_str!("../../../assets/lexicons/position.toml")),
    ("official.toml", include_str!("../../../assets/lexicons/official.toml")),
    ("endorser.toml", include_str!("../../../assets/lexicons/endorser.toml")),
    ("recommend-verb.toml", include_str!("../../../assets/lexicons/recommend-verb.toml")),
    ("guarantee.toml", include_str!("../../../assets/lexicons/guarantee.toml")),
    ("outcome.toml", include_str!("../../../assets/lexicons/outcome.toml")),
    ("competitor.toml", include_str!("../../../assets/lexicons/competitor.toml")),
    ("smear.toml", include_str!("../../../assets/lexicons/smear.toml")),
    ("contact.toml", include_str!("../../../assets/lexicons/contact.toml")),
    ("reference-price.toml", include_str!("../../../assets/lexicons/reference-price.toml")),
    ("en-disease.toml", include_str!("../../../assets/lexicons/en-disease.toml")),
    ("en-endorser.toml", include_str!("../../../assets/lexicons/en-endorser.toml")),
    ("en-efficacy-verb.toml", include_str!("../../../assets/lexicons/en-efficacy-verb.toml")),
    ("en-official.toml", include_str!("../../../assets/lexicons/en-official.toml")),
    ("en-competitor.toml", include_str!("../../../assets/lexicons/en-competitor.toml")),
    ("en-smear.toml", include_str!("../../../assets/lexicons/en-smear.toml")),
    ("measure-unit.toml", include_str!("../../../assets/lexicons/measure-unit.toml")),
    ("comparison-scope.toml", include_str!("../../../assets/lexicons/comparison-scope.toml")),
];

impl Lexicons {
    /// The default lexicons. Panics on a broken embedded file (a test loads them).
    pub fn defaults() -> Lexicons {
        // Parsed once per process (a linter is built again whenever a team pack changes).
        static DEFAULTS: std::sync::OnceLock<Lexicons> = std::sync::OnceLock::new();
        DEFAULTS
            .get_or_init(|| {
                let mut lexicons = Lexicons::default();
                for (file, source) in DEFAULT_LEXICONS {
                    lexicons
                        .add_file(file, source)
                        .unwrap_or_else(|error| panic!("embedded lexicon {file}: {error}"));
                }
                lexicons
            })
            .clone()
    }

    /// Adds a lexicon file. Errors name the problem.
    pub fn add_file(&mut self, file: &str, source: &str) -> Result<(), String> {
        let raw: RawLexicon = toml::from_str(source).map_err(|e| e.message().trim().to_owned())?;
        if !raw.name.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()) {
            return Err(format!("lexicon name {:?} must be lowercase ASCII with dashes", raw.name));
        }
        if self.by_name.contains_key(&raw.name) {
            return Err(format!("lexicon {:?} is defined twice ({file})", raw.name));
        }
        let expanded = expand_entries(&raw.entries)?;
        self.by_name.insert(
            raw.name.clone(),
            Lexicon {
                name: raw.name,
                title: raw.title,
                source: raw.source,
                licence: raw.licence,
                sources: raw.entries,
                expanded,
                team_sources: Vec::new(),
            },
        );
        Ok(())
    }

    /// Adds a team's entries to a lexicon (creating it when new).
    pub fn extend(&mut self, name: &str, entries: &[String], pack: &str) -> Result<(), String> {
        let expanded = expand_entries(entries)?;
        let lexicon = self.by_name.entry(name.to_owned()).or_insert_with(|| Lexicon {
            name: name.to_owned(),
            title: format!("team words ({pack})"),
            source: pack.to_owned(),
            licence: String::new(),
            sources: Vec::new(),
            expanded: Vec::new(),
            team_sources: Vec::new(),
        });
        for entry in expanded {
            if !lexicon.expanded.contains(&entry) {
                lexicon.expanded.push(entry);
            }
        }
        lexicon.team_sources.extend(entries.iter().cloned());
        Ok(())
    }

    /// The words teams added to any lexicon, folded (entries with choices left out).
    pub(crate) fn team_words(&self) -> impl Iterator<Item = String> + '_ {
        self.by_name
            .values()
            .flat_map(|l| l.team_sources.iter())
            .filter(|w| !w.contains(['(', '[', '{']))
            .map(|w| crate::normalize::fold(w).trim_matches(|c| c == crate::normalize::HARD || c == ' ').to_owned())
            .filter(|w| !w.is_empty())
    }

    /// The expanded entries of a lexicon.
    pub fn entries(&self, name: &str) -> Option<&[String]> {
        self.by_name.get(name).map(|l| l.expanded.as_slice())
    }

    pub fn get(&self, name: &str) -> Option<&Lexicon> {
        self.by_name.get(name)
    }

    pub fn summaries(&self) -> Vec<LexiconSummary> {
        self.by_name
            .values()
            .map(|l| LexiconSummary {
                name: l.name.clone(),
                title: l.title.clone(),
                source: l.source.clone(),
                licence: l.licence.clone(),
                entries: l.sources.len() as u32,
                phrases: l.expanded.len() as u32,
                team_entries: l.team_sources.clone(),
            })
            .collect()
    }
}

fn expand_entries(entries: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for entry in entries {
        if entry.contains('{') {
            return Err(format!("lexicon entry {entry:?} may not hold a placeholder"));
        }
        for variant in pattern::expand_alternatives(entry)? {
            if !variant.trim().is_empty() && !out.contains(&variant) {
                out.push(variant);
            }
        }
    }
    Ok(out)
}

/// The lexicon names a pattern source refers to, in order.
pub(crate) fn references(source: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("{@") {
        let after = &rest[at + 2..];
        match after.find('}') {
            Some(end) => {
                names.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_lexicons_load_with_source_and_licence() {
        let lexicons = Lexicons::defaults();
        for summary in lexicons.summaries() {
            assert!(!summary.source.trim().is_empty(), "{} has no source", summary.name);
            assert!(!summary.licence.trim().is_empty(), "{} has no licence", summary.name);
            assert!(summary.phrases > 0, "{} is empty", summary.name);
        }
        assert!(lexicons.entries("disease").unwrap().len() >= 200);
    }

    #[test]
    fn every_lexicon_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/lexicons");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".toml"))
            .collect();
        files.sort();
        let mut embedded: Vec<String> = DEFAULT_LEXICONS.iter().map(|(name, _)| (*name).to_owned()).collect();
        embedded.sort();
        assert_eq!(files, embedded);
    }

    #[test]
    fn references_are_found_in_order() {
        assert_eq!(references("{@efficacy-verb}{g}{@disease}"), ["efficacy-verb", "disease"]);
        assert!(references("最低价").is_empty());
    }

    #[test]
    fn a_team_extends_a_lexicon() {
        let mut lexicons = Lexicons::defaults();
        let before = lexicons.entries("disease").unwrap().len();
        lexicons.extend("disease", &["(痛风|尿酸)石".to_owned()], "team.toml").unwrap();
        let after = lexicons.entries("disease").unwrap();
        assert_eq!(after.len(), before + 2);
        assert!(after.contains(&"痛风石".to_owned()));
    }
}
