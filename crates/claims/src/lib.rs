//! The claims linter: finds banned and unprovable sales claims in scripts, product texts
//! and overlays, in Chinese and English, and names the law each breaks with a compliant
//! rewrite.
//!
//! # The design choice: fold the text, then match literal phrases with context exceptions
//!
//! Rules are data (`assets/rules/*.toml`, embedded as defaults; team packs load on top),
//! written as literal phrases a compliance officer can read, never as regular expressions.
//! Before matching, the text is *folded*: NFKC-like compatibility folding, full-width to
//! ASCII, lowercase, traditional to simplified, and the evasions anchors use (spaces, dots,
//! emoji or zero-width characters between characters, `B E S T`) removed, while a map
//! keeps every folded byte's place in the original text, so spans always point at what the
//! anchor wrote. All patterns of all packs go into one Aho-Corasick automaton (two halves built
//! side by side on a two-core machine), so a text is scanned once (twice) however many rules
//! there are, in time linear in its length (every check
//! around a match reads a bounded window).
//!
//! Whether a phrase is harmless depends on its neighbours (`最近三天` is a time, `最好吃`
//! a claim; `第一次` an ordinal, `销量第一` a ranking). Instead of a word segmenter, each
//! rule lists *exceptions*: phrases that, when they cover a match, make it harmless
//! (`最近`, `第一[次天批]`, `最佳食用期`, `best before`). Exceptions are as visible and
//! testable as the patterns, and matching stays a single pass. English patterns respect
//! word boundaries (`best` does not fire inside `bestow`).
//!
//! # A claims grammar from lexicons
//!
//! Lexicons (`assets/lexicons/`, each with its source and licence) are word lists that
//! patterns compose: `{@efficacy-verb}{@disease}` is any efficacy verb followed by any
//! disease, `{@competitor}{c}{@smear}` a competitor and a smear in one clause. Such a
//! pattern compiles to a two-sided compound (see `compound`) rather than to the product of
//! its lists, and a finding covers the whole claim. A match right after a denial or a
//! question from the `negation` lexicon (不能治病, 不是最便宜的, asked if it cures) is not
//! a claim. Products have a [`ProductCategory`]; a rule's `allowed_for` turns its finding
//! into a note for the categories it is lawful for.
//!
//! A small learned backstop ([`model`]) speaks only for sentences no rule touched, as a
//! warning that says it is the model's suspicion.
//!
//! # Example
//!
//! ```
//! use anchordesk_claims::{Linter, LintOptions, Severity};
//!
//! let linter = Linter::default_packs();
//! let text = "家人们，今天全网最低价！";
//! let findings = linter.lint(text, &LintOptions::default());
//! assert_eq!(findings[0].severity, Severity::Error);
//! assert_eq!(&text[findings[0].span.range()], "全网最低价");
//! assert!(!findings[0].rewrites.is_empty());
//!
//! assert!(linter.lint("这批脐橙是最近三天刚摘的", &LintOptions::default()).is_empty());
//! ```
//!
//! # Cross-checks against product facts
//!
//! Some claims are lawful only when facts back them: 有机 needs a certificate, 原价199 a
//! price actually charged in the last 7 days, 仅剩3件 the real stock, 下单送开果器 the gift
//! in the line-up. Without facts these are warnings to check; with a [`ProductContext`]
//! they become errors when the facts contradict them and disappear when the facts agree.
//!
//! ```
//! use anchordesk_claims::{Certificate, LintOptions, Linter, ProductContext, Severity};
//!
//! let linter = Linter::default_packs();
//! let organic_rice = ProductContext { certificates: vec![Certificate::Organic], ..Default::default() };
//! let plain_rice = ProductContext::default();
//! let text = "自家种的有机大米";
//! let lint = |product| linter.lint(text, &LintOptions { product: Some(product), ..Default::default() });
//! assert!(lint(&organic_rice).is_empty());
//! assert_eq!(lint(&plain_rice)[0].severity, Severity::Error);
//! ```
//!
//! Reports render with [`render::text`], [`render::json`] and [`render::sarif`]; team packs
//! load with [`Linter::with_team_packs`] and are written by [`team_pack_source`].
//!
//! This crate does no I/O beyond reading rule packs and knows nothing of SQLite, Tauri,
//! FFmpeg or HTTP.

#![deny(missing_docs)]

mod compound;
mod finding;
pub mod laws;
mod lexicon;
pub mod model;
mod normalize;
mod pack;
mod pattern;
mod product;
pub mod render;
mod summary;
mod team;

use std::collections::HashMap;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::{Deserialize, Serialize};

pub use finding::{Category, Finding, LegalRef, MODEL_RULE_PREFIX, Rewrite, RuleSummary, Severity, Span};
pub use normalize::fold;
pub use pack::PackError;
pub use lexicon::LexiconSummary;
pub use product::{Certificate, ProductCategory, ProductContext};
pub use summary::{CategoryCount, ComplianceSummary};
pub use team::{TeamLexiconWord, TeamLinter, TeamSettings, TeamWord, team_pack_source};

use lexicon::Lexicons;
use normalize::{Folded, HARD};
use pack::{Check, Pack, PackLang, Rule};
use pattern::Pattern;

/// Which packs to run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Chinese packs only.
    Zh,
    /// English packs only.
    En,
    /// Both; English rules respect word boundaries, so they stay quiet on Chinese text.
    #[default]
    Auto,
}

impl Lang {
    fn runs(self, lang: PackLang) -> bool {
        match self {
            Lang::Auto => true,
            Lang::Zh => lang == PackLang::Zh,
            Lang::En => lang == PackLang::En,
        }
    }
}

/// How to lint one text.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintOptions<'a> {
    /// Which packs to run.
    pub lang: Lang,
    /// Facts about the product the text presents, for the cross-checks.
    pub product: Option<&'a ProductContext>,
}

/// Builds a [`Linter`] from the default packs and team packs.
///
/// Packs are kept as sources and compiled by [`LinterBuilder::build`], because a team
/// pack may add words to a lexicon that the default rules use.
#[derive(Debug, Clone, Default)]
pub struct LinterBuilder {
    sources: Vec<(String, String)>,
    lexicons: Lexicons,
    model: bool,
    custom_model: Option<std::sync::Arc<model::Model>>,
}

impl LinterBuilder {
    /// A builder with no packs at all (and the default lexicons, for team packs to use).
    pub fn new() -> LinterBuilder {
        LinterBuilder { sources: Vec::new(), lexicons: Lexicons::defaults(), model: false, custom_model: None }
    }

    /// A builder holding the default packs embedded from `assets/rules/`, the default
    /// lexicons from `assets/lexicons/` and the learned backstop ([`model`]).
    pub fn with_default_packs() -> LinterBuilder {
        LinterBuilder {
            sources: pack::DEFAULT_PACKS
                .iter()
                .map(|(name, source)| ((*name).to_owned(), (*source).to_owned()))
                .collect(),
            lexicons: Lexicons::defaults(),
            // Switched on by the rule written in BENCH.md before it was measured.
            model: true,
            custom_model: None,
        }
    }

    /// The lexicons packs may refer to, as they stand (no linter is built).
    pub fn lexicons(&self) -> Vec<LexiconSummary> {
        self.lexicons.summaries()
    }

    /// Adds (or, with `false`, leaves out) the learned backstop ([`model`]): a sentence no rule flags but the model
    /// scores above its threshold gets one warning that says so.
    pub fn with_model(&mut self, on: bool) -> &mut LinterBuilder {
        self.model = on;
        self
    }

    /// Uses these weights instead of the embedded ones (the training script measures each
    /// fold's model this way); implies [`LinterBuilder::with_model`].
    pub fn with_model_weights(&mut self, model: std::sync::Arc<model::Model>) -> &mut LinterBuilder {
        self.model = true;
        self.custom_model = Some(model);
        self
    }

    /// Adds a pack from TOML source. Rules with an ID already loaded replace the earlier
    /// rule; `disable = [...]` switches rules off; `[lexicon]` adds words to lexicons.
    ///
    /// # Errors
    /// A [`PackError`] with the line and column of the first problem; the pack is then
    /// not added and the packs already added stay in force.
    pub fn add_pack(&mut self, name: &str, source: &str) -> Result<&mut LinterBuilder, PackError> {
        let mut lexicons = self.lexicons.clone();
        for (lexicon, entries) in pack::lexicon_additions(source) {
            lexicons.extend(&lexicon, &entries, name).map_err(|message| PackError {
                pack: name.to_owned(),
                line: 0,
                column: 0,
                message: format!("lexicon {lexicon}: {message}"),
            })?;
        }
        pack::parse(name, source, &lexicons)?;
        // Added words reach every pack that uses the lexicon: each must still compile (a
        // huge addition can overflow a pattern's expansion), or the addition is refused.
        if !pack::lexicon_additions(source).is_empty() {
            for (other, other_source) in &self.sources {
                pack::parse(other, other_source, &lexicons).map_err(|error| PackError {
                    pack: name.to_owned(),
                    line: 0,
                    column: 0,
                    message: format!("its lexicon words break {other}: {}", error.message),
                })?;
            }
        }
        self.lexicons = lexicons;
        self.sources.push((name.to_owned(), source.to_owned()));
        Ok(self)
    }

    /// Adds every `*.toml` file of `dir`, in file-name order. A file that cannot be read
    /// or parsed is skipped and reported; the others are added. A missing directory is
    /// not an error (there are no team packs yet).
    pub fn add_pack_dir(&mut self, dir: &Path) -> Vec<PackError> {
        let mut errors = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return errors,
            Err(error) => {
                errors.push(io_error(dir, &error));
                return errors;
            }
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(source) => {
                    if let Err(error) = self.add_pack(&name, &source) {
                        errors.push(error);
                    }
                }
                Err(error) => errors.push(io_error(&path, &error)),
            }
        }
        errors
    }

    /// Compiles the packs into a linter.
    pub fn build(&self) -> Linter {
        // Every source parsed once already (embedded packs by a test, team packs in
        // `add_pack`); lexicon additions only add phrases, so they parse again.
        let packs = parse_on_two_threads(&self.sources, |(name, source)| match pack::parse(name, source, &self.lexicons) {
            Ok(pack) => Some(pack),
            // The embedded packs are checked by a test: a failure here is a build bug.
            Err(error) if pack::DEFAULT_PACKS.iter().any(|(n, _)| n == name) => {
                panic!("embedded rule pack does not load: {error}")
            }
            // A team pack validated in `add_pack`; only a later lexicon addition that
            // overflows its expansion can fail it, and then it is left out.
            Err(_) => None,
        });
        let mut rules: Vec<Rule> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut disabled: Vec<String> = Vec::new();
        let mut allowed: Vec<Pattern> = Vec::new();
        for pack in packs {
            for rule in pack.rules {
                match index.get(&rule.id) {
                    Some(&at) => rules[at] = rule,
                    None => {
                        index.insert(rule.id.clone(), rules.len());
                        rules.push(rule);
                    }
                }
            }
            disabled.extend(pack.disable);
            allowed.extend(pack.allow);
        }
        let enabled: Vec<bool> = rules.iter().map(|rule| !disabled.contains(&rule.id)).collect();

        let mut key_index: HashMap<String, usize> = HashMap::new();
        let mut keys: Vec<String> = Vec::new();
        let mut entries: Vec<Vec<KeyEntry>> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut compounds: Vec<std::sync::Arc<compound::Compound>> = Vec::new();
        for (rule_idx, rule) in rules.iter().enumerate() {
            // A rule a team switched off still marks where it would match, as an exception
            // of its own that covers nothing else: the team has decided about that phrase,
            // so the learned backstop stays out too.
            let off = !enabled[rule_idx];
            let all = rule
                .patterns
                .iter()
                .map(|p| (p, false))
                .chain(rule.exceptions.iter().map(|p| (p, true)));
            for (pattern, exception) in all {
                let key_idx = intern(&mut key_index, &mut keys, &mut entries, pattern.key());
                entries[key_idx].push(KeyEntry {
                    rule: rule_idx as u32,
                    pattern: patterns.len() as u32,
                    exception: exception || off,
                    compound: false,
                });
                patterns.push(pattern.clone());
            }
            let all = rule
                .compounds
                .iter()
                .map(|c| (c, false))
                .chain(rule.exception_compounds.iter().map(|c| (c, true)));
            for (compiled, exception) in all {
                for key in compiled.keys() {
                    let key_idx = intern(&mut key_index, &mut keys, &mut entries, key);
                    entries[key_idx].push(KeyEntry {
                        rule: rule_idx as u32,
                        pattern: compounds.len() as u32,
                        exception: exception || off,
                        compound: true,
                    });
                }
                compounds.push(compiled.clone());
            }
        }
        for pattern in allowed {
            let key_idx = intern(&mut key_index, &mut keys, &mut entries, pattern.key());
            entries[key_idx].push(KeyEntry {
                rule: ALLOW,
                pattern: patterns.len() as u32,
                exception: true,
                compound: false,
            });
            patterns.push(pattern);
        }
        let automata = build_automata(&keys);
        // An entry written with a trailing `…` (asked if…) may be followed by any few words
        // before the claim, not only by function words.
        let mut negations: Vec<String> = Vec::new();
        let mut loose_negations: Vec<String> = Vec::new();
        for entry in self.lexicons.entries("negation").unwrap_or_default() {
            let (list, raw) = match entry.strip_suffix('…') {
                Some(raw) => (&mut loose_negations, raw),
                None => (&mut negations, entry.as_str()),
            };
            let folded = fold(raw);
            if !folded.is_empty() {
                list.push(folded);
            }
        }
        let evidence = self
            .lexicons
            .entries("evidence")
            .unwrap_or_default()
            .iter()
            .map(|e| fold(e))
            .filter(|e| !e.is_empty())
            .collect();
        let folded_entries = |name: &str| -> Vec<String> {
            let mut list: Vec<String> = self
                .lexicons
                .entries(name)
                .unwrap_or_default()
                .iter()
                .map(|e| fold(e))
                .filter(|e| !e.is_empty())
                .collect();
            // Longest first, so that 毫升 is read before 毫.
            list.sort_by_key(|e| std::cmp::Reverse(e.len()));
            list
        };
        let measure_units = folded_entries("measure-unit");
        let retractions = folded_entries("retraction");
        let comparators = [folded_entries("competitor"), folded_entries("comparison-scope")].concat();
        let vetoable_rules = rules
            .iter()
            .filter(|r| pack::DEFAULT_PACKS.iter().any(|(name, _)| *name == r.pack))
            .map(|r| r.id.clone())
            .collect();
        Linter {
            rules,
            enabled,
            automata,
            entries,
            patterns,
            compounds,
            index,
            negations,
            loose_negations,
            retractions,
            evidence,
            measure_units,
            comparators,
            vetoable_rules,
            team_words: self.lexicons.team_words().collect(),
            lexicons: self.lexicons.clone(),
            model: self.model.then(|| self.custom_model.clone().unwrap_or_else(embedded_model)),
        }
    }
}

/// A rule's finding the model would keep as a reminder counts after all when its own clause,
/// read alone, scores at least this in the finding's category: a clear claim. 0.8, not 0.95:
/// after batches 43–46 were learned, 最好吃的橙子 alone scored 0.87 and, beside 下单送开果器,
/// the sentence 0.10 (a bag of n-grams adds the gift clause's weights against it); held out
/// on the training sets the whole linter went 0.898 / 0.869 → 0.888 / 0.870.
const CLAUSE_VETO: f32 = 0.8;

/// The embedded weights of the learned backstop, parsed once per process.
fn embedded_model() -> std::sync::Arc<model::Model> {
    static MODEL: std::sync::OnceLock<std::sync::Arc<model::Model>> = std::sync::OnceLock::new();
    MODEL
        .get_or_init(|| {
            let bytes = include_bytes!("../../../assets/model/claims-ngram.bin");
            std::sync::Arc::new(model::Model::from_bytes(bytes).expect("the embedded model is valid (a test loads it)"))
        })
        .clone()
}

/// The automata over the pack keys: building one is a quarter of building the linter, so
/// where there are two cores each half of the keys gets its own, built side by side, and a
/// text is scanned by both (every match is still found once: each key is in one of them).
fn build_automata(keys: &[String]) -> Vec<(AhoCorasick, usize)> {
    let build = |keys: &[String]| {
        AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(keys)
            .expect("an NFA over the pack keys fits the default size limits")
    };
    if !two_cores() || keys.len() < 2 {
        return vec![(build(keys), 0)];
    }
    let half = keys.len() / 2;
    let (first, second) = keys.split_at(half);
    let (here, there) = side_by_side(|| build(first), || build(second));
    vec![(here, 0), (there, half)]
}

/// Parses the packs, in their order, on two threads where the machine has two cores: the
/// packs are independent, and parsing them (expanding their patterns and lexicons) is most
/// of building the linter, which a desk does at start and whenever a team pack changes.
/// Each thread takes about half of the text, the largest packs first.
fn parse_on_two_threads(sources: &[(String, String)], parse: impl Fn(&(String, String)) -> Option<Pack> + Sync) -> Vec<Pack> {
    if !two_cores() || sources.len() < 2 {
        return sources.iter().filter_map(&parse).collect();
    }
    let mut by_size: Vec<usize> = (0..sources.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(sources[i].1.len()));
    let (mut here, mut there) = (Vec::new(), Vec::new());
    let (mut here_bytes, mut there_bytes) = (0usize, 0usize);
    for i in by_size {
        if here_bytes <= there_bytes {
            here_bytes += sources[i].1.len();
            here.push(i);
        } else {
            there_bytes += sources[i].1.len();
            there.push(i);
        }
    }
    let parse_all = |indices: Vec<usize>| indices.into_iter().map(|i| (i, parse(&sources[i]))).collect::<Vec<_>>();
    let (mut parsed, other) = side_by_side(|| parse_all(here), || parse_all(there));
    parsed.extend(other);
    // Later packs override earlier ones: back in the order they were added.
    parsed.sort_by_key(|(i, _)| *i);
    parsed.into_iter().filter_map(|(_, pack)| pack).collect()
}

/// True where a second thread runs beside this one rather than taking turns with it.
fn two_cores() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

/// Runs `there` on a second thread while `here` runs on this one (both here, one after the
/// other, when the system refuses a thread); a panic in either is this thread's panic.
fn side_by_side<A, B: Send>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B) {
    // Kept outside the thread, so that it can still run here if no thread takes it.
    let there = std::sync::Mutex::new(Some(there));
    let take = || there.lock().unwrap_or_else(|p| p.into_inner()).take();
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new().spawn_scoped(scope, || take().map(|there| there()));
        let a = here();
        let b = match spawned {
            Ok(other) => other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => None,
        };
        (a, b.or_else(|| take().map(|there| there())).expect("the second half ran on one thread or the other"))
    })
}

/// The index of `key` among the automaton's keys, added with an empty entry list when new.
fn intern(index: &mut HashMap<String, usize>, keys: &mut Vec<String>, entries: &mut Vec<Vec<KeyEntry>>, key: &str) -> usize {
    *index.entry(key.to_owned()).or_insert_with(|| {
        keys.push(key.to_owned());
        entries.push(Vec::new());
        entries.len() - 1
    })
}

fn io_error(path: &Path, error: &std::io::Error) -> PackError {
    PackError {
        pack: path.display().to_string(),
        line: 0,
        column: 0,
        message: error.to_string(),
    }
}

/// The rule index of an `allow` phrase, which silences every rule it covers.
const ALLOW: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct KeyEntry {
    rule: u32,
    /// Index into `patterns`, or into `compounds` when `compound` is set.
    pattern: u32,
    exception: bool,
    compound: bool,
}

/// A compiled set of rule packs. Cheap to share: lint takes `&self`.
#[derive(Debug, Clone)]
pub struct Linter {
    rules: Vec<Rule>,
    enabled: Vec<bool>,
    /// The pack keys' automata, each with the index of its first key: two halves built side
    /// by side where there are two cores ([`build_automata`]), else one.
    automata: Vec<(AhoCorasick, usize)>,
    entries: Vec<Vec<KeyEntry>>,
    patterns: Vec<Pattern>,
    compounds: Vec<std::sync::Arc<compound::Compound>>,
    index: HashMap<String, usize>,
    /// The folded entries of the `negation` lexicon.
    negations: Vec<String>,
    /// Entries after which any few words may come before the claim (`asked if…`).
    loose_negations: Vec<String>,
    /// The folded entries of the `retraction` lexicon (我收回, scratch that, 这个说法不准确),
    /// longest first: said right after a claim, they withdraw it.
    retractions: Vec<String>,
    /// The folded entries of the `evidence` lexicon (详情页, 证书编号, on the listing).
    evidence: Vec<String>,
    /// The folded entries of the `measure-unit` lexicon (毫升, 瓦, 流明, %), longest first.
    measure_units: Vec<String>,
    /// The folded entries of the `competitor` and `comparison-scope` lexicons (别家, 全网,
    /// 市面上): a superlative said against these compares with others.
    comparators: Vec<String>,
    lexicons: Lexicons,
    /// The IDs of the default packs' rules: the only findings the model may keep as
    /// reminders.
    vetoable_rules: std::collections::HashSet<String>,
    /// Words teams added to lexicons, folded: a finding on one is never vetoed.
    team_words: Vec<String>,
    model: Option<std::sync::Arc<model::Model>>,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    rule: u32,
    exception: bool,
    start: usize,
    end: usize,
    value: Option<f64>,
}

impl Default for Linter {
    fn default() -> Linter {
        Linter::default_packs()
    }
}

impl Linter {
    /// The linter with the default packs only.
    pub fn default_packs() -> Linter {
        LinterBuilder::with_default_packs().build()
    }

    /// The default packs with the team packs of `dir` on top; see
    /// [`LinterBuilder::add_pack_dir`]. Bad packs are returned and skipped.
    pub fn with_team_packs(dir: &Path) -> (Linter, Vec<PackError>) {
        let mut builder = LinterBuilder::with_default_packs();
        let errors = builder.add_pack_dir(dir);
        (builder.build(), errors)
    }

    /// Lints `text`. Findings come in text order; a finding that overlaps an earlier or
    /// longer finding of the same category is dropped (`全网最低价` is one finding, not three).
    ///
    /// Spans are `u32` byte offsets, so only the first 4 GiB of a larger text is linted.
    pub fn lint(&self, text: &str, options: &LintOptions<'_>) -> Vec<Finding> {
        let text = &text[..floor_boundary(text, text.len().min(u32::MAX as usize))];
        let gift_names: Vec<String> = options
            .product
            .map(|product| {
                product
                    .lineup_gift_names
                    .iter()
                    .map(|name| fold(name))
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let registered_names: Vec<String> = options
            .product
            .map(|product| {
                product
                    .registered_names
                    .iter()
                    .map(|name| fold(name))
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mut findings = Vec::new();
        let mut folded = Folded::default();
        let mut candidates = Vec::new();
        let mut accepted: Vec<(Candidate, Severity, Option<String>)> = Vec::new();
        let mut exceptions: Vec<(usize, usize, u32)> = Vec::new();
        let mut line_start = 0usize;
        for (line_idx, line) in text.split('\n').enumerate() {
            folded.fold(line, line_start as u32);
            self.candidates(&folded.text, options.lang, &mut candidates);
            // Where any rule matched (a claim, an exception, an allowed name): the rules
            // have spoken there, and the learned backstop stays out.
            let touched: Vec<(usize, usize)> = if self.model.is_some() {
                candidates
                    .iter()
                    .map(|c| {
                        let (start, end) = folded.original_range(c.start, c.end);
                        (start as usize, end as usize)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            accepted.clear();
            exceptions.clear();
            exceptions.extend(
                candidates
                    .iter()
                    .filter(|c| c.exception)
                    .map(|c| (c.start, c.end, c.rule)),
            );
            // Registered names from the product facts silence any rule they cover.
            for name in &registered_names {
                exceptions.extend(
                    folded
                        .text
                        .match_indices(name.as_str())
                        .map(|(at, _)| (at, at + name.len(), ALLOW)),
                );
            }
            exceptions.sort_unstable();
            let denied: Vec<(usize, usize, Category)> = candidates
                .iter()
                .filter(|c| c.rule != ALLOW && !c.exception)
                .filter(|c| self.rules[c.rule as usize].negatable && (self.negated(&folded.text, c.start) || self.withdrawn(&folded.text, c.end)))
                .map(|c| (c.start, c.end, self.rules[c.rule as usize].category))
                .collect();
            for trigger in candidates.iter().filter(|c| !c.exception) {
                // Only exceptions starting at or before the trigger, and not too far before,
                // can cover it; the window keeps a very long line linear.
                let upto = exceptions.partition_point(|e| e.0 <= trigger.start);
                let covered = exceptions[..upto]
                    .iter()
                    .rev()
                    .take_while(|e| e.0 + MAX_EXCEPTION_BYTES >= trigger.start)
                    .any(|e| (e.2 == trigger.rule || e.2 == ALLOW) && e.1 >= trigger.end);
                if covered {
                    continue;
                }
                let rule = &self.rules[trigger.rule as usize];
                // Denied, or inside a denied match of its category (最便宜 in 不是全网最便宜).
                if denied.iter().any(|&(s, e, c)| c == rule.category && s <= trigger.start && e >= trigger.end) {
                    continue;
                }
                if rule.id == "zh.absolute.superlative" && self.states_a_measure(&folded.text, trigger) {
                    continue;
                }
                if let Some(found) = self.category_allows(rule, trigger, &folded.text, options) {
                    accepted.push((*trigger, Severity::Info, Some(found)));
                    continue;
                }
                if let Some((severity, message)) =
                    self.cross_check(rule, trigger, &folded.text, options, &gift_names)
                {
                    // A claim that needs evidence on file, said together with where the
                    // evidence is (证书编号在官网能查): a note to keep it true, not a warning.
                    let cited = (severity == Severity::Warning && message.is_none())
                        .then(|| self.evidence_cited(&folded.text, trigger))
                        .flatten();
                    match cited {
                        Some(cited) => accepted.push((
                            *trigger,
                            Severity::Info,
                            Some(evidence_message(&rule.message, cited, rule.lang)),
                        )),
                        None => accepted.push((*trigger, severity, message)),
                    }
                }
            }
            accepted.sort_by(|(a, sa, _), (b, sb, _)| {
                a.start
                    .cmp(&b.start)
                    .then(b.end.cmp(&a.end))
                    .then(sb.cmp(sa))
                    .then(a.rule.cmp(&b.rule))
            });
            let mut max_end: [usize; Category::ALL.len()] = [0; Category::ALL.len()];
            let mut has_any = [false; Category::ALL.len()];
            let mut last_kept: [Option<(usize, u32)>; Category::ALL.len()] =
                [None; Category::ALL.len()];
            let mut column = 1usize;
            let mut column_at = line_start;
            for (candidate, severity, message) in accepted.drain(..) {
                let rule = &self.rules[candidate.rule as usize];
                let cat = rule.category as usize;
                // Sorted by start, so an overlap with any earlier finding of the category
                // means starting before the furthest end seen. Two overlapping matches of
                // one rule (一周瘦 and 瘦十斤) become one finding over both.
                if has_any[cat] && candidate.start < max_end[cat] {
                    if let Some((at, rule_idx)) = last_kept[cat]
                        && rule_idx == candidate.rule
                        && candidate.end > max_end[cat]
                    {
                        let (_, end) = folded.original_range(candidate.start, candidate.end);
                        let finding: &mut Finding = &mut findings[at];
                        finding.span.end = end;
                        finding.matched = text[finding.span.range()].to_owned();
                        max_end[cat] = candidate.end;
                    }
                    continue;
                }
                has_any[cat] = true;
                max_end[cat] = max_end[cat].max(candidate.end);
                last_kept[cat] = Some((findings.len(), candidate.rule));
                let (start, end) = folded.original_range(candidate.start, candidate.end);
                let (start, end) = (start as usize, end as usize);
                column += text[column_at..start].chars().count();
                column_at = start;
                findings.push(Finding {
                    rule_id: rule.id.clone(),
                    category: rule.category,
                    severity,
                    span: Span {
                        start: start as u32,
                        end: end as u32,
                    },
                    line: (line_idx + 1) as u32,
                    column: column as u32,
                    matched: text[start..end].to_owned(),
                    message: message.unwrap_or_else(|| rule.message.clone()),
                    laws: rule.laws.clone(),
                    rewrites: rule.rewrites.clone(),
                    key: String::new(),
                });
            }
            if let Some(model) = &self.model {
                self.model_veto(model, &folded, line, line_start, &mut findings);
                self.model_findings(model, text, &folded, line, line_start, line_idx, options, &touched, &mut findings);
            }
            line_start += line.len() + 1;
        }
        assign_keys(&mut findings);
        findings
    }

    fn candidates(&self, text: &str, lang: Lang, out: &mut Vec<Candidate>) {
        out.clear();
        let matches = self
            .automata
            .iter()
            .flat_map(|(automaton, first)| automaton.find_overlapping_iter(text).map(move |found| (found, *first)));
        for (found, first) in matches {
            for entry in &self.entries[first + found.pattern().as_usize()] {
                if entry.rule != ALLOW && !lang.runs(self.rules[entry.rule as usize].lang) {
                    continue;
                }
                let hit = if entry.compound {
                    self.compounds[entry.pattern as usize].verify(text, found.start(), found.end())
                } else {
                    pattern::verify(&self.patterns[entry.pattern as usize], text, found.start(), found.end())
                };
                if let Some(hit) = hit {
                    out.push(Candidate {
                        rule: entry.rule,
                        exception: entry.exception,
                        start: hit.start,
                        end: hit.end,
                        value: hit.value,
                    });
                }
            }
        }
    }

    /// Keeps a rule's finding as a reminder only ([`Severity::Info`]) where the model reads
    /// it as lawful context: its sentence scores the category below that category's veto
    /// (chosen by cross-validation in `examples/train_model.rs`) and no kind of claim high
    /// ([`model::Model::vetoes`]), and the clause that holds it is not a clear claim on its
    /// own ([`CLAUSE_VETO`]: 下单送开果器，最好吃的橙子 keeps its error). The finding, its law
    /// and rewrite stay on screen; the message says why it does not count.
    fn model_veto(&self, model: &model::Model, folded: &Folded, line: &str, line_start: usize, findings: &mut [Finding]) {
        if model.veto.iter().all(|&v| v <= 0.0) {
            return;
        }
        let first_of_line = findings.partition_point(|f| (f.span.start as usize) < line_start);
        if first_of_line == findings.len() {
            return;
        }
        let features_of = |start: usize, end: usize| {
            let range = folded.folded_range((line_start + start) as u32, (line_start + end) as u32);
            model::features_of_folded(&folded.text[range])
        };
        for range in model::sentences(line) {
            let mut sentence: Option<Vec<u32>> = None;
            for finding in findings[first_of_line..].iter_mut() {
                let (start, end) = (finding.span.start as usize - line_start, finding.span.end as usize - line_start);
                if start < range.start || start >= range.end || finding.severity < Severity::Warning || !self.vetoable(finding) {
                    continue;
                }
                let sentence = sentence.get_or_insert_with(|| features_of(range.start, range.end));
                let Some(score) = model.vetoes(sentence, finding.category) else { continue };
                let clause = model::clause_around(line, range.clone(), start, end.min(range.end));
                if model.scores(&features_of(clause.start, clause.end))[finding.category as usize] >= CLAUSE_VETO {
                    continue;
                }
                finding.severity = Severity::Info;
                let percent = score * 100.0;
                finding.message = if finding.message.chars().any(normalize::is_cjk_unified) {
                    format!("{}（模型把这句读作合法语境：像“{}”类违规的把握 {percent:.0}%，留作提醒，请看上下文）", finding.message, finding.category.label_zh())
                } else {
                    format!("{} (the model reads this sentence as lawful context: {percent:.0}% for {}; kept as a reminder, check the context)", finding.message, finding.category.as_str())
                };
            }
        }
    }

    /// Whether the model may keep a finding as a reminder only: a default pack's rule, not
    /// matched on a word a team added to a lexicon. What a team asked for, it gets.
    fn vetoable(&self, finding: &Finding) -> bool {
        if !self.vetoable_rules.contains(&finding.rule_id) {
            return false;
        }
        if self.team_words.is_empty() {
            return true;
        }
        let matched = normalize::fold(&finding.matched);
        !self.team_words.iter().any(|word| matched.contains(word.as_str()))
    }

    /// Adds the model's suspicions for the sentences of one line that no rule touched (no
    /// claim, exception, allowed name or denial matched there), in text order.
    #[allow(clippy::too_many_arguments)]
    fn model_findings(
        &self,
        model: &model::Model,
        text: &str,
        folded: &Folded,
        line: &str,
        line_start: usize,
        line_idx: usize,
        options: &LintOptions<'_>,
        touched: &[(usize, usize)],
        findings: &mut Vec<Finding>,
    ) {
        let first_of_line = findings.partition_point(|f| (f.span.start as usize) < line_start);
        let mut added = false;
        for range in model::sentences(line) {
            let (start, end) = (line_start + range.start, line_start + range.end);
            let covered = findings[first_of_line..]
                .iter()
                .any(|f| (f.span.start as usize) < end && (f.span.end as usize) > start)
                || touched.iter().any(|&(s, e)| s < end && e > start);
            if covered {
                continue;
            }
            // Scored from the line already folded, not folded again.
            let range = folded.folded_range(start as u32, end as u32);
            // Too short to hold a claim (宝宝们！, 好的): the model would judge a greeting.
            if folded.text[range.clone()].chars().filter(|&c| c != HARD).count() < MODEL_MIN_CHARS {
                continue;
            }
            let features = model::features_of_folded(&folded.text[range]);
            let Some((category, score)) = model.suspect_features(&features) else { continue };
            if !options.lang.runs(if text[start..end].is_ascii() { PackLang::En } else { PackLang::Zh }) {
                continue;
            }
            let zh = !text[start..end].is_ascii();
            let law = category.default_law();
            findings.push(Finding {
                rule_id: format!("{MODEL_RULE_PREFIX}{}", category.as_str()),
                category,
                severity: Severity::Warning,
                span: Span { start: start as u32, end: end as u32 },
                line: (line_idx + 1) as u32,
                column: (text[line_start..start].chars().count() + 1) as u32,
                matched: text[start..end].to_owned(),
                message: if zh {
                    format!("没有规则命中，但模型判断这句像“{}”类说法（把握 {:.0}%），请核对后再说", category.label_zh(), score * 100.0)
                } else {
                    format!("No rule matched, but the model reads this as a {} claim ({:.0}% sure); check it before saying it", category.as_str(), score * 100.0)
                },
                laws: laws::legal_ref(law).into_iter().collect(),
                rewrites: Vec::new(),
                key: String::new(),
            });
            added = true;
        }
        if added {
            findings[first_of_line..].sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
        }
    }

    /// True when the clause before `start` ends in a denial or a question: a negation
    /// entry, then at most [`NEGATION_FILLER`] filler characters or words (不敢说这是最便宜的,
    /// it is not the cheapest, 能不能治咳嗽); or, anywhere in the clause's window, a loose
    /// entry (the ones written with a trailing `…`: 不敢说我家葡萄干是最好的).
    fn negated(&self, text: &str, start: usize) -> bool {
        // Only a bounded window before the match is read, so a long line stays linear.
        let window_start = floor_boundary(text, start.saturating_sub(MAX_NEGATION_BYTES));
        let window = &text[window_start..start];
        let clause = window.rfind(HARD).map_or(window, |at| &window[at + 1..]);
        let mut before = clause.trim_end();
        for step in 0..=NEGATION_FILLER {
            let ends_with = |n: &String| {
                before.ends_with(n.as_str())
                    && !before[..before.len() - n.len()].ends_with(|c: char| n.starts_with(|f: char| f.is_ascii_alphanumeric()) && c.is_ascii_alphanumeric())
            };
            // A one-character denial (不, 没) counts only right before the claim.
            if self.negations.iter().any(|n| (step == 0 || n.chars().nth(1).is_some()) && ends_with(n))
                || self.loose_negations.iter().any(ends_with)
            {
                return true;
            }
            // A loose entry (谁跟你说…, asked if…) denies whatever follows it in the clause.
            if self.loose_negations.iter().any(|n| before.contains(n.as_str())) {
                return true;
            }
            // Step over one filler between the denial and the claim: only function words
            // (是, 这, 它 …; the, a, it …), so that 不能错过 or "don't miss" deny nothing.
            if before.ends_with(|c: char| c.is_ascii_alphanumeric()) {
                let cut = before.rfind(' ').map_or(0, |at| at);
                if !FILLER_WORDS.contains(&before[cut..].trim()) {
                    return false;
                }
                before = before[..cut].trim_end();
            } else if let Some(last) = before.chars().next_back() {
                if !FILLER_CHARS.contains(last) {
                    return false;
                }
                before = &before[..before.len() - last.len_utf8()];
            } else {
                return false;
            }
            if before.is_empty() {
                return false;
            }
        }
        false
    }

    /// True when the claim ending at `end` is withdrawn, corrected or refuted right after it,
    /// in the same breath: a `retraction` entry within [`RETRACTION_BYTES`] and two clause
    /// marks (全网最…哎不对不对，我收回; the best — sorry, scratch that; 有人说能治关节炎，这话
    /// 我们不说). The SAMR guide counts what is said as a claim, and this is not said as one.
    fn withdrawn(&self, text: &str, end: usize) -> bool {
        let window_end = floor_boundary(text, (end + RETRACTION_BYTES).min(text.len()));
        let mut window = &text[end..window_end];
        if let Some((at, _)) = window.char_indices().filter(|&(_, c)| c == HARD).nth(2) {
            window = &window[..at];
        }
        self.retractions.iter().any(|r| {
            window.match_indices(r.as_str()).any(|(at, _)| {
                // Whole words for English entries: "not true" is not in "knot trueness".
                let ascii = r.starts_with(|c: char| c.is_ascii_alphanumeric());
                !ascii || !window[..at].ends_with(|c: char| c.is_ascii_alphanumeric())
            })
        })
    }

    /// 最大吸力8000Pa, 最大那只公蟹五两二, 最长的一把，刀刃30厘米: a superlative of size or
    /// amount (最 and one of 大小高低长短宽深重轻厚薄) followed shortly in the same sentence by a
    /// measured figure with its unit states a specification of the goods, which the SAMR
    /// guide (item 6) does not count as an absolute term — unless the sentence compares with
    /// others (全网, 别家, 市面上). Prices are not measures: 元 and 块 are not units here.
    fn states_a_measure(&self, text: &str, candidate: &Candidate) -> bool {
        const DIMENSIONS: &str = "大小高低长短宽深重轻厚薄";
        const LOOK_AHEAD: usize = 16;
        let after = &text[candidate.end..];
        // Where the dimension ends: the trigger is 最 alone or 最 with its adjective.
        let dimension_end = match text[candidate.start..candidate.end].chars().collect::<Vec<_>>().as_slice() {
            ['最'] => after.chars().next().filter(|&c| DIMENSIONS.contains(c)).map(|c| candidate.end + c.len_utf8()),
            ['最', c] if DIMENSIONS.contains(*c) => Some(candidate.end),
            _ => None,
        };
        let Some(dimension_end) = dimension_end else { return false };
        if text[dimension_end..].starts_with('价') {
            return false;
        }
        // The sentence around the claim: back to the line start or two clause marks, on
        // to LOOK_AHEAD characters.
        let sentence_start = text[..candidate.start].char_indices().rev().filter(|&(_, c)| c == HARD).nth(1).map_or(0, |(at, _)| at);
        if self.comparators.iter().any(|c| text[sentence_start..candidate.start].contains(c.as_str())) {
            return false;
        }
        // A price or a discount said with it is a price claim, not a size (最低到手价99元).
        let window_end = text[dimension_end..].char_indices().nth(LOOK_AHEAD).map_or(text.len(), |(at, _)| dimension_end + at);
        let window = &text[dimension_end..window_end];
        if ["价", "元", "块钱", "¥", "$", "折", "优惠", "便宜"].iter().any(|price| window.contains(price)) {
            return false;
        }
        // So is a comparison with others said after it (最大吸力比别家高30%).
        if self.comparators.iter().any(|c| window.contains(c.as_str())) || window.contains('比') {
            return false;
        }
        let after = &text[dimension_end..];
        let mut marks = 0;
        for (offset, ch) in after.char_indices().take(LOOK_AHEAD) {
            if ch == HARD {
                marks += 1;
                if marks > 1 {
                    return false;
                }
                continue;
            }
            let at = dimension_end + offset;
            // A number starts here (not in the middle of one).
            let previous = text[..at].chars().next_back();
            if previous.is_some_and(|p| p.is_ascii_digit()) {
                continue;
            }
            let unit_at = |end: usize| self.measure_units.iter().any(|u| text[end..].trim_start().starts_with(u.as_str()));
            if let Some((_, end)) = pattern::number_forward(text, at)
                && end > at
                && unit_at(end)
            {
                return true;
            }
            // A Chinese numeral read as part of a longer number (五两二: 五 then 两 the unit).
            if "一二两三四五六七八九十半".contains(ch) && unit_at(at + ch.len_utf8()) {
                return true;
            }
        }
        false
    }

    /// The evidence pointer (详情页, 证书编号 …) said near the claim on its line, if any.
    fn evidence_cited(&self, text: &str, candidate: &Candidate) -> Option<&str> {
        let from = floor_boundary(text, candidate.start.saturating_sub(MAX_EVIDENCE_BEFORE));
        let mut to = (candidate.end + MAX_EVIDENCE_AFTER).min(text.len());
        while !text.is_char_boundary(to) {
            to -= 1;
        }
        let window = &text[from..to];
        self.evidence.iter().find(|e| window.contains(e.as_str())).map(String::as_str)
    }

    /// For a product of a category the rule allows the claim for (a registered 保健食品
    /// stating its function), the message that says so; `None` when the rule applies.
    fn category_allows(
        &self,
        rule: &Rule,
        candidate: &Candidate,
        text: &str,
        options: &LintOptions<'_>,
    ) -> Option<String> {
        let product = options.product?;
        let category = product.category?;
        if !rule.allowed_for.contains(&category) {
            return None;
        }
        let claim = &text[candidate.start..candidate.end];
        if category == ProductCategory::HealthFood {
            // Only the functions on its registration or filing.
            let registered = product
                .registered_functions
                .iter()
                .map(|f| fold(f))
                .find(|f| !f.is_empty() && (claim.contains(f.as_str()) || f.contains(claim)))?;
            return Some(format!(
                "保健食品已注册或备案的保健功能“{registered}”可以宣传，须同时说明“本品不能代替药物”（类目：{}）",
                category.label_zh()
            ));
        }
        Some(format!("类目“{}”可以这样说，须有资料在案", category.label_zh()))
    }

    /// Applies the rule's cross-check. `None` drops the finding (the facts back the
    /// claim); otherwise the severity and, when the facts contradict it, the message.
    fn cross_check(
        &self,
        rule: &Rule,
        candidate: &Candidate,
        text: &str,
        options: &LintOptions<'_>,
        gift_names: &[String],
    ) -> Option<(Severity, Option<String>)> {
        let (Some(check), Some(product)) = (rule.check, options.product) else {
            return Some((rule.severity, None));
        };
        let fail = |value: String, limit: String| {
            let message = match &rule.fail_message {
                Some(template) => template
                    .replace("{value}", &value)
                    .replace("{limit}", &limit),
                None => rule.message.clone(),
            };
            Some((Severity::Error, Some(message)))
        };
        match check {
            Check::Certificate(certificate) => {
                if product.certificates.contains(&certificate) {
                    None
                } else {
                    fail(String::new(), certificate.as_str().to_owned())
                }
            }
            Check::OriginalPrice => {
                let value = candidate.value?;
                let Some(&lowest) = product.recent_prices_fen.iter().min() else {
                    return Some((rule.severity, None));
                };
                let claimed = (value * 100.0).round() as i64;
                if claimed > lowest {
                    fail(format_number(value), format_fen(lowest))
                } else {
                    None
                }
            }
            Check::Stock => {
                let value = candidate.value?;
                let Some(stock) = product.stock else {
                    return Some((rule.severity, None));
                };
                // Above the stock the orders cannot be filled; below it the scarcity is invented.
                if value != f64::from(stock) {
                    fail(format_number(value), stock.to_string())
                } else {
                    None
                }
            }
            Check::Promise => {
                // Backed when the promise is written in the product's terms on file.
                let promised = fold(&text[candidate.start..candidate.end]);
                if product.policies.iter().any(|policy| fold(policy).contains(promised.as_str())) {
                    None
                } else {
                    Some((rule.severity, None))
                }
            }
            Check::Gift => {
                // The clause around the match, looked for within a bounded window so that a
                // very long line stays linear.
                let window_start =
                    floor_boundary(text, candidate.start.saturating_sub(MAX_CLAUSE_BYTES));
                let window_end =
                    floor_boundary(text, (candidate.end + MAX_CLAUSE_BYTES).min(text.len()));
                let clause_start = text[window_start..candidate.start]
                    .rfind(HARD)
                    .map_or(window_start, |at| window_start + at + 1);
                let clause_end = text[candidate.end..window_end]
                    .find(HARD)
                    .map_or(window_end, |at| candidate.end + at);
                let clause = &text[clause_start..clause_end];
                if gift_names.iter().any(|name| clause.contains(name.as_str())) {
                    None
                } else {
                    fail(String::new(), product.lineup_gift_names.join("、"))
                }
            }
        }
    }

    /// The long explanation of a rule: message, explanation, laws, rewrites, patterns and
    /// exceptions, in the pack's language. `None` for an unknown ID.
    pub fn explain(&self, rule_id: &str) -> Option<String> {
        let rule = &self.rules[*self.index.get(rule_id)?];
        let zh = rule.lang == PackLang::Zh;
        let mut out = format!(
            "{} ({}, {})\n{}\n",
            rule.id,
            rule.severity.as_str(),
            rule.category.as_str(),
            rule.message
        );
        if !rule.explain.is_empty() {
            out.push('\n');
            out.push_str(&rule.explain);
            out.push('\n');
        }
        out.push_str(if zh {
            "\n法律依据：\n"
        } else {
            "\nLaw:\n"
        });
        for law in &rule.laws {
            out.push_str(&format!("  {} {}\n", law.id, law.title));
        }
        if !rule.rewrites.is_empty() {
            let rewrites: Vec<&str> = rule
                .rewrites
                .iter()
                .map(|r| {
                    if r.text.is_empty() {
                        if zh { "（删去）" } else { "(delete)" }
                    } else {
                        r.text.as_str()
                    }
                })
                .collect();
            out.push_str(if zh { "改写建议：" } else { "Rewrites: " });
            out.push_str(&rewrites.join(" / "));
            out.push('\n');
        }
        out.push_str(if zh { "匹配：" } else { "Patterns: " });
        out.push_str(&rule.pattern_sources.join(", "));
        out.push('\n');
        if !rule.except_sources.is_empty() {
            out.push_str(if zh {
                "例外（不报）："
            } else {
                "Not flagged: "
            });
            out.push_str(&rule.except_sources.join(", "));
            out.push('\n');
        }
        if !rule.lexicons.is_empty() {
            out.push_str(if zh { "用到的词表：\n" } else { "Lexicons used:\n" });
            for name in &rule.lexicons {
                if let Some(lexicon) = self.lexicons.get(name) {
                    out.push_str(&format!(
                        "  {{@{}}} {}: {} {}; {}: {}\n",
                        lexicon.name,
                        lexicon.title,
                        lexicon.expanded.len(),
                        if zh { "个词" } else { "phrases" },
                        if zh { "来源" } else { "source" },
                        lexicon.source
                    ));
                }
            }
        }
        if !rule.negatable {
            out.push_str(if zh { "前面有否定词也报。\n" } else { "Reported even after a denial.\n" });
        }
        if !rule.allowed_for.is_empty() {
            let names: Vec<&str> = rule.allowed_for.iter().map(|c| c.label_zh()).collect();
            out.push_str(&format!(
                "{}{}\n",
                if zh { "以下类目的商品可以这样说（提示）：" } else { "Lawful (info) for products of: " },
                names.join("、")
            ));
        }
        if !self.enabled[*self.index.get(rule_id)?] {
            out.push_str(if zh {
                "（此规则已被团队规则包停用）\n"
            } else {
                "(disabled by a team pack)\n"
            });
        }
        Some(out)
    }

    /// The literal phrases of the enabled rules' patterns (not their exceptions), folded,
    /// each with its rule ID and first rewrite; patterns with a `{n}` or `{w}` give their
    /// literal part. For exporting the word list to other tools (the textlint benchmark).
    pub fn phrases(&self) -> Vec<(String, String, String)> {
        let mut phrases = Vec::new();
        for entries in &self.entries {
            // Compound patterns have no single phrase to export.
            for entry in entries.iter().filter(|e| !e.exception && !e.compound) {
                let rule = &self.rules[entry.rule as usize];
                let phrase = self.patterns[entry.pattern as usize].key().to_owned();
                let rewrite = rule
                    .rewrites
                    .first()
                    .map(|r| r.text.clone())
                    .unwrap_or_default();
                phrases.push((rule.id.clone(), phrase, rewrite));
            }
        }
        phrases
    }

    /// The lexicons the rules compose, with their sources and sizes (team additions
    /// included), by name.
    pub fn lexicons(&self) -> Vec<LexiconSummary> {
        self.lexicons.summaries()
    }

    /// Every rule, enabled or not, in pack order.
    pub fn rules(&self) -> Vec<RuleSummary> {
        self.rules
            .iter()
            .zip(&self.enabled)
            .map(|(rule, &enabled)| summary(rule, enabled))
            .collect()
    }

    /// One rule's summary, or `None` for an unknown ID.
    pub fn rule(&self, rule_id: &str) -> Option<RuleSummary> {
        let idx = *self.index.get(rule_id)?;
        Some(summary(&self.rules[idx], self.enabled[idx]))
    }
}

fn assign_keys(findings: &mut [Finding]) {
    let mut seen: HashMap<(String, String), u32> = HashMap::new();
    for finding in findings {
        let folded = fold(&finding.matched);
        let n = seen
            .entry((finding.rule_id.clone(), folded.clone()))
            .or_insert(0);
        *n += 1;
        finding.key = format!("{}:{}#{}", finding.rule_id, folded, n);
    }
}

fn summary(rule: &Rule, enabled: bool) -> RuleSummary {
    RuleSummary {
        id: rule.id.clone(),
        category: rule.category,
        severity: rule.severity,
        lang: rule.lang.as_str().to_owned(),
        pack: rule.pack.clone(),
        message: rule.message.clone(),
        patterns: rule.pattern_sources.clone(),
        laws: rule.laws.clone(),
        enabled,
    }
}

/// The longest stretch of folded text before a match that an exception may start in.
const MAX_EXCEPTION_BYTES: usize = 512;

/// How far before and after a claim that needs evidence a pointer to the evidence is
/// looked for on its line (in folded bytes: about 20 and 50 Chinese characters).
const MAX_EVIDENCE_BEFORE: usize = 60;
const MAX_EVIDENCE_AFTER: usize = 150;

/// The message of a claim said together with where its evidence is.
fn evidence_message(message: &str, cited: &str, lang: PackLang) -> String {
    match lang {
        PackLang::En => format!("{message} (the evidence is said to be available: \"{cited}\"; keep it on file and make sure it is true)"),
        _ => format!("{message}（已说明证据出处“{cited}”，请确认证据属实并留存）"),
    }
}

/// The fewest folded characters a sentence needs before the learned backstop judges it.
const MODEL_MIN_CHARS: usize = 6;

/// How far before a match a denial is looked for (in folded bytes, within the clause).
const MAX_NEGATION_BYTES: usize = 48;

/// How far after a claim a retraction is looked for (in folded bytes; about 20 CJK
/// characters or 60 English letters).
const RETRACTION_BYTES: usize = 64;

/// How many filler characters (CJK) or words (English) may stand between a denial and
/// the claim it denies: 不是(这个)最 …, not (the) best.
const NEGATION_FILLER: usize = 3;

/// The characters that may stand between a denial and what it denies.
const FILLER_CHARS: &str = "是这那它个的就都也还能会算叫说讲敢太很真在有什么跟你给吃喝用了做";

/// The English words that may stand between a denial and what it denies.
const FILLER_WORDS: &[&str] = &[
    "the", "a", "an", "it", "this", "that", "is", "be", "really", "actually", "say", "saying", "claim", "our", "your", "any",
    "or", "call", "them", "you", "to",
    // Folding splits a contraction at its apostrophe (it's → it s, they're → they re).
    "s", "re",
];

/// How far around a gift claim the clause naming the gift is looked for.
const MAX_CLAUSE_BYTES: usize = 240;

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn format_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

fn format_fen(fen: i64) -> String {
    if fen % 100 == 0 {
        (fen / 100).to_string()
    } else {
        format!("{}.{:02}", fen / 100, (fen % 100).abs())
    }
}

#[cfg(test)]
mod exception_tests {
    use super::*;
    use pattern::Hole;

    /// A text made of the pattern itself, with a sample for its placeholder.
    fn sample(pattern: &Pattern) -> String {
        let hole = match pattern.hole {
            None => "",
            Some(Hole::Num) => "3",
            Some(Hole::Words) => "开果器",
            Some(Hole::Gap) => "芝麻",
        };
        // English words around a number are written with spaces, as in the text.
        let before = if pattern.prefix.ends_with(|c: char| c.is_ascii_alphanumeric()) { " " } else { "" };
        let after = if pattern.suffix.starts_with(|c: char| c.is_ascii_alphanumeric()) { " " } else { "" };
        if hole.is_empty() {
            format!("{}{}", pattern.prefix, pattern.suffix)
        } else {
            format!("{}{before}{hole}{after}{}", pattern.prefix, pattern.suffix)
        }
    }

    /// Every exception of every default rule contains a match of one of the rule's
    /// patterns (it is not dead) and keeps the rule quiet on the exception's own text.
    #[test]
    fn every_exception_covers_a_match_and_suppresses_it() {
        let linter = Linter::default_packs();
        let mut problems = Vec::new();
        for (rule_idx, rule) in linter.rules.iter().enumerate() {
            let samples = rule
                .exceptions
                .iter()
                .map(sample)
                .chain(rule.exception_compounds.iter().map(|c| c.sample()));
            for text in samples {
                let mut candidates = Vec::new();
                linter.candidates(&text, Lang::Auto, &mut candidates);
                let triggered = candidates
                    .iter()
                    .any(|c| !c.exception && c.rule as usize == rule_idx);
                if !triggered {
                    problems.push(format!(
                        "{}: exception {text:?} contains none of the rule's patterns",
                        rule.id
                    ));
                    continue;
                }
                let findings = linter.lint(&text, &LintOptions::default());
                if findings.iter().any(|f| f.rule_id == rule.id) {
                    problems.push(format!(
                        "{}: exception {text:?} does not suppress the rule",
                        rule.id
                    ));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// Every expanded pattern of every default rule matches its own text, so no pattern is
    /// dead because of folding, word boundaries or its placeholder.
    #[test]
    fn every_pattern_matches_its_own_text() {
        let linter = Linter::default_packs();
        let mut problems = Vec::new();
        for (rule_idx, rule) in linter.rules.iter().enumerate() {
            let samples = rule.patterns.iter().map(sample).chain(rule.compounds.iter().map(|c| c.sample()));
            for text in samples {
                let mut candidates = Vec::new();
                linter.candidates(&text, Lang::Auto, &mut candidates);
                let whole = candidates
                    .iter()
                    .any(|c| !c.exception && c.rule as usize == rule_idx && c.start == 0 && c.end == text.len());
                if !whole {
                    problems.push(format!("{}: pattern {text:?} does not match itself", rule.id));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

#[cfg(test)]
mod testoibits {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<Linter>();
        assert_send_sync::<LinterBuilder>();
        assert_send_sync::<LintOptions<'_>>();
        assert_send_sync::<Finding>();
        assert_send_sync::<Span>();
        assert_send_sync::<Severity>();
        assert_send_sync::<Category>();
        assert_send_sync::<LegalRef>();
        assert_send_sync::<Rewrite>();
        assert_send_sync::<RuleSummary>();
        assert_send_sync::<ProductContext>();
        assert_send_sync::<ProductCategory>();
        assert_send_sync::<LexiconSummary>();
        assert_send_sync::<Certificate>();
        assert_send_sync::<PackError>();
        assert_send_sync::<Lang>();
        assert_send_sync::<TeamSettings>();
        assert_send_sync::<TeamWord>();
        assert_send_sync::<TeamLexiconWord>();
        assert_send_sync::<ComplianceSummary>();
    }
}
