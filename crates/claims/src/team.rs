//! Writing a team pack from what a team sets in Settings → Rules: rules to switch off and
//! words of its own. The app saves the result as a `.toml` file in the team-pack directory,
//! where [`crate::LinterBuilder::add_pack_dir`] loads it like any other pack.

use serde::{Deserialize, Serialize};

use crate::finding::{Category, Severity};
use crate::normalize::fold;

/// A word or phrase a team forbids or wants checked (a brand's own list).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TeamWord {
    /// The phrase, in the pack pattern syntax (plain text works).
    pub pattern: String,
    /// The category it is reported under.
    pub category: Category,
    /// How serious it is.
    pub severity: Severity,
    /// What the anchor sees.
    pub message: String,
    /// Replacements to offer; may be empty.
    pub rewrites: Vec<String>,
}

/// A word a team adds to one of the lexicons the rules compose (a lay name of a disease
/// the defaults lack, a local competitor's nickname …): it takes effect in every rule
/// that uses the lexicon.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TeamLexiconWord {
    /// The lexicon's name, as in `{@disease}`.
    pub lexicon: String,
    /// The word, in the pattern syntax without placeholders.
    pub word: String,
}

/// What a team changes on top of the default packs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TeamSettings {
    /// IDs of rules to switch off.
    pub disabled_rules: Vec<String>,
    /// The team's own words.
    pub words: Vec<TeamWord>,
    /// Words the team adds to the default lexicons.
    #[serde(default)]
    pub lexicon_words: Vec<TeamLexiconWord>,
}

impl Category {
    /// The catalogue entry a team word of this category cites by default.
    pub fn default_law(self) -> &'static str {
        match self {
            Category::Absolute => "CN-AD-9-3",
            Category::StateOrgan => "CN-AD-9-2",
            Category::Medical => "CN-AD-17",
            Category::Guarantee => "CN-AD-28",
            Category::Certification => "CN-AD-28",
            Category::Price => "CN-PRC-19",
            Category::Disparagement => "CN-AD-13",
            Category::Endorsement => "CN-AD-38",
            Category::FakeFigures => "CN-LSE-34",
            Category::Superstition => "CN-AD-9-8",
            Category::GiftDelivery => "CN-AD-8",
            Category::OffPlatform => "CN-LSM-PLAT",
        }
    }
}

#[derive(Serialize)]
struct PackOut<'a> {
    disable: &'a [String],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    lexicon: std::collections::BTreeMap<&'a str, Vec<&'a str>>,
    rule: Vec<RuleOut<'a>>,
}

#[derive(Serialize)]
struct RuleOut<'a> {
    id: String,
    lang: &'static str,
    category: &'static str,
    severity: &'static str,
    patterns: [&'a str; 1],
    message: &'a str,
    laws: [&'static str; 1],
    rewrites: &'a [String],
}

/// The TOML source of a team pack for `settings`.
///
/// Each word becomes a rule with the stable ID `team.<folded word>` (so acknowledgements
/// keyed by rule ID survive reordering), `lang = "en"` when the word is plain ASCII and
/// `"zh"` otherwise, and the category's default law. Words that fold to the same text are
/// written once; words that fold to nothing are skipped. A word with broken pattern syntax
/// (`[abc`) makes the pack fail to load: check the result with
/// [`crate::LinterBuilder::add_pack`] before saving it.
pub fn team_pack_source(settings: &TeamSettings) -> String {
    let mut rules: Vec<RuleOut<'_>> = Vec::new();
    for word in &settings.words {
        let key = fold(&word.pattern).replace([' ', crate::normalize::HARD], "-");
        if key.is_empty() {
            continue;
        }
        let id = format!("team.{key}");
        if rules.iter().any(|rule| rule.id == id) {
            continue;
        }
        rules.push(RuleOut {
            id,
            lang: if word.pattern.is_ascii() { "en" } else { "zh" },
            category: word.category.as_str(),
            severity: word.severity.as_str(),
            patterns: [word.pattern.as_str()],
            message: &word.message,
            laws: [word.category.default_law()],
            rewrites: &word.rewrites,
        });
    }
    let mut lexicon: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for entry in &settings.lexicon_words {
        let word = entry.word.trim();
        if !word.is_empty() {
            let words = lexicon.entry(entry.lexicon.trim()).or_default();
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    let pack = PackOut {
        disable: &settings.disabled_rules,
        lexicon,
        rule: rules,
    };
    let body = toml::to_string(&pack).expect("a pack of strings and arrays serialises to TOML");
    format!("# Team pack written by AnchorDesk (Settings → Rules). Edits here are kept.\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LintOptions, LinterBuilder};

    #[test]
    fn written_pack_loads_and_takes_effect() {
        let settings = TeamSettings {
            disabled_rules: vec!["zh.absolute.unique".to_owned()],
            words: vec![
                TeamWord {
                    pattern: "某果园".to_owned(),
                    category: Category::Disparagement,
                    severity: Severity::Error,
                    message: "品牌方要求不提竞品".to_owned(),
                    rewrites: vec![String::new()],
                },
                TeamWord {
                    pattern: "super fruit".to_owned(),
                    category: Category::Absolute,
                    severity: Severity::Warning,
                    message: "Avoid \"super fruit\"".to_owned(),
                    rewrites: vec![],
                },
            ],
            lexicon_words: vec![],
        };
        let source = team_pack_source(&settings);
        let mut builder = LinterBuilder::with_default_packs();
        builder
            .add_pack("team.toml", &source)
            .unwrap_or_else(|error| panic!("{error}\n{source}"));
        let linter = builder.build();
        let findings = linter.lint("别买某果园的，全国唯一", &LintOptions::default());
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].rule_id, "team.某果园");
        assert_eq!(findings[0].laws[0].id, "CN-AD-13");
        let findings = linter.lint(
            "a Super Fruit",
            &LintOptions {
                lang: crate::Lang::En,
                product: None,
            },
        );
        assert_eq!(findings[0].rule_id, "team.super-fruit");
        assert_eq!(findings[0].severity, Severity::Warning);
    }

    #[test]
    fn a_team_word_in_a_lexicon_reaches_every_rule_that_uses_it() {
        let text = "缓解鼠标手";
        assert!(LinterBuilder::with_default_packs().build().lint(text, &LintOptions::default()).is_empty());
        let settings = TeamSettings {
            lexicon_words: vec![TeamLexiconWord { lexicon: "disease".into(), word: "鼠标手".into() }],
            ..TeamSettings::default()
        };
        let source = team_pack_source(&settings);
        let mut builder = LinterBuilder::with_default_packs();
        builder.add_pack("team.toml", &source).unwrap_or_else(|error| panic!("{error}\n{source}"));
        let linter = builder.build();
        let findings = linter.lint(text, &LintOptions::default());
        assert_eq!(findings.len(), 1, "{findings:?}\n{source}");
        assert_eq!(findings[0].matched, "缓解鼠标手");
        let disease = linter.lexicons().into_iter().find(|l| l.name == "disease").unwrap();
        assert_eq!(disease.team_entries, vec!["鼠标手".to_owned()]);
    }

    #[test]
    fn every_category_has_a_known_default_law() {
        for category in Category::ALL {
            assert!(
                crate::laws::title(category.default_law()).is_some(),
                "{category:?}"
            );
        }
    }
}

/// The linter a desk uses: the default packs plus the team's packs in one directory,
/// built on first use (so it never delays a window's first paint) and rebuilt when the
/// team's rules change. Packs that fail to load are kept as messages (file:line and why);
/// the others stay in force.
#[derive(Debug)]
pub struct TeamLinter {
    dir: std::path::PathBuf,
    built: std::sync::RwLock<Option<Built>>,
}

/// A built linter, the packs it refused, and the state of the pack directory it was built from.
type Built = (std::sync::Arc<crate::Linter>, Vec<String>, Fingerprint);

/// The `.toml` files of a pack directory with their sizes and modification times: when it
/// changes (a team's pack arrived from its server, another process saved the rules), the
/// linter is rebuilt at its next use.
/// The file's identity is part of it where the platform has one (a pack saved through a
/// temporary file and a rename is a new file), so that a rewrite of the same size within a
/// coarse clock tick is still seen.
type Fingerprint = Vec<(std::ffi::OsString, u64, Option<std::time::SystemTime>, u64)>;

fn fingerprint(dir: &std::path::Path) -> Fingerprint {
    #[cfg(unix)]
    let identity = |m: &std::fs::Metadata| std::os::unix::fs::MetadataExt::ino(m);
    #[cfg(not(unix))]
    let identity = |_: &std::fs::Metadata| 0u64;
    let mut files: Fingerprint = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "toml"))
        .filter_map(|entry| entry.metadata().ok().map(|m| (entry.file_name(), m.len(), m.modified().ok(), identity(&m))))
        .collect();
    files.sort();
    files
}

impl TeamLinter {
    /// A linter for the team packs in `dir` (missing is fine); nothing is loaded yet.
    pub fn new(dir: impl Into<std::path::PathBuf>) -> TeamLinter {
        TeamLinter { dir: dir.into(), built: std::sync::RwLock::new(None) }
    }

    /// The directory of team packs.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The linter as it is now, built here if nothing has built it yet, or rebuilt when the
    /// pack directory changed since.
    pub fn get(&self) -> std::sync::Arc<crate::Linter> {
        self.built().0
    }

    /// The team packs refused when the linter was last built.
    pub fn errors(&self) -> Vec<String> {
        self.built().1
    }

    /// Rebuilds from the packs on disk now.
    pub fn reload(&self) {
        *self.built.write().unwrap_or_else(|p| p.into_inner()) = Some(self.build());
    }

    fn built(&self) -> Built {
        let now = fingerprint(&self.dir);
        if let Some(built) = self.built.read().unwrap_or_else(|p| p.into_inner()).as_ref().filter(|built| built.2 == now) {
            return built.clone();
        }
        // Built once even when several threads ask at the same moment.
        let mut slot = self.built.write().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(built) if built.2 == now => built.clone(),
            _ => slot.insert(self.build()).clone(),
        }
    }

    fn build(&self) -> Built {
        let before = fingerprint(&self.dir);
        let (linter, errors) = crate::Linter::with_team_packs(&self.dir);
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        for error in &errors {
            tracing::warn!("rule pack refused: {error}");
        }
        (std::sync::Arc::new(linter), errors, before)
    }
}

#[cfg(test)]
mod team_linter_tests {
    use super::TeamLinter;

    #[test]
    fn builds_once_on_first_use_and_again_on_reload() {
        let dir = tempfile::tempdir().unwrap();
        let linter = TeamLinter::new(dir.path());
        let first = linter.get();
        assert!(std::sync::Arc::ptr_eq(&first, &linter.get()), "built once");
        assert!(linter.errors().is_empty());
        std::fs::write(dir.path().join("broken.toml"), "lang = \"zh\"\n[[rule]]\nid = 3\n").unwrap();
        linter.reload();
        assert!(!std::sync::Arc::ptr_eq(&first, &linter.get()), "rebuilt");
        assert_eq!(linter.errors().len(), 1, "{:?}", linter.errors());
        assert!(linter.errors()[0].contains("broken.toml"));
    }

    #[test]
    fn a_pack_written_by_someone_else_takes_effect_at_the_next_use() {
        let dir = tempfile::tempdir().unwrap();
        let linter = TeamLinter::new(dir.path());
        let text = "这款蜂蜜闭眼入";
        assert!(linter.get().lint(text, &crate::LintOptions::default()).iter().all(|f| f.matched != "闭眼入"));
        // As the team sync (or another process) writes it: no reload() called.
        let pack = "lang = \"zh\"\ncategory = \"absolute\"\n[[rule]]\nid = \"team.闭眼入\"\nseverity = \"warning\"\npatterns = [\"闭眼入\"]\nmessage = \"品牌禁用词\"\nlaws = [\"CN-AD-9-3\"]\n";
        std::fs::write(dir.path().join("team.toml"), pack).unwrap();
        assert!(linter.get().lint(text, &crate::LintOptions::default()).iter().any(|f| f.matched == "闭眼入"), "{:?}", linter.errors());
        let built = linter.get();
        assert!(std::sync::Arc::ptr_eq(&built, &linter.get()), "not rebuilt while nothing changes");
    }
}
