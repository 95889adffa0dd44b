//! A team's own claims rules (Settings → Rules): rules switched off and words of its own,
//! kept in the database and written as `team.toml` into the team-pack directory, where the
//! linter loads it on top of the default packs.

use crate::error::StoreError;
use crate::store::Store;
use crate::validate::{FieldError, FieldErrorCode};
pub use anchordesk_claims::TeamSettings;
use anchordesk_claims::{LinterBuilder, team_pack_source};
use std::path::{Path, PathBuf};

const TEAM_RULES_KEY: &str = "team_rules";
/// The desk's own settings a team's rule pack replaced when the desk joined (kept, not lost).
const REPLACED_KEY: &str = "team_rules_replaced";

/// The team-pack directory of a data directory (the linter loads its `.toml` files).
pub fn rules_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("rules")
}

/// The file the team's settings are written to, inside the team-pack directory.
pub const TEAM_PACK_FILE: &str = "team.toml";

impl Store {
    /// The team's rule settings (empty when never saved).
    pub fn team_rules(&self) -> Result<TeamSettings, StoreError> {
        match self.setting(TEAM_RULES_KEY)? {
            Some(json) => serde_json::from_str(&json).map_err(|err| StoreError::Corrupt(format!("team rules: {err}"))),
            None => Ok(TeamSettings::default()),
        }
    }

    /// Checks the settings by compiling them as a pack, then writes `team.toml` into
    /// `rules_dir` (through a temporary file, so a crash never leaves half a pack) and keeps
    /// the settings. A pack that does not compile is refused with its line and message, and
    /// nothing is written.
    pub fn save_team_rules(&mut self, settings: &TeamSettings, rules_dir: &Path) -> Result<(), StoreError> {
        let mut builder = LinterBuilder::with_default_packs();
        let lexicons = builder.lexicons();
        for entry in &settings.lexicon_words {
            if !lexicons.iter().any(|l| l.name == entry.lexicon.trim()) {
                return Err(StoreError::Invalid(vec![FieldError::new("lexiconWords", FieldErrorCode::UnknownValue, &entry.lexicon)]));
            }
        }
        let source = team_pack_source(settings);
        if let Err(err) = builder.add_pack(TEAM_PACK_FILE, &source) {
            return Err(StoreError::Invalid(vec![FieldError::new("words", FieldErrorCode::UnknownValue, err.to_string())]));
        }
        std::fs::create_dir_all(rules_dir).map_err(|source| StoreError::Io { path: rules_dir.to_path_buf(), source })?;
        let path = rules_dir.join(TEAM_PACK_FILE);
        crate::paths::write_atomic(&path, source.as_bytes()).map_err(|source| StoreError::Io { path: path.clone(), source })?;
        let json = serde_json::to_string(settings).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        self.set_setting(TEAM_RULES_KEY, &json)
    }

    /// Takes the team's rule pack (from its server) as this desk's rules, written like
    /// [`Store::save_team_rules`] into the team-pack directory beside the database. When the
    /// settings it replaces are the desk's own (`own`: not a team pack taken before) and
    /// differ, they are kept aside ([`Store::replaced_team_rules`]; the first such copy is
    /// kept, not overwritten) and `true` is returned.
    pub fn apply_team_rule_pack(&mut self, settings: &TeamSettings, own: bool) -> Result<bool, StoreError> {
        let before = self.team_rules()?;
        let dir = rules_dir(self.path().parent().unwrap_or(Path::new(".")));
        self.save_team_rules(settings, &dir)?;
        let replaced = own && before != *settings && before != TeamSettings::default();
        if replaced && self.setting(REPLACED_KEY)?.is_none() {
            let json = serde_json::to_string(&before).map_err(|err| StoreError::Corrupt(err.to_string()))?;
            self.set_setting(REPLACED_KEY, &json)?;
        }
        Ok(replaced)
    }

    /// The desk's own rule settings a team's pack replaced, if any.
    pub fn replaced_team_rules(&self) -> Result<Option<TeamSettings>, StoreError> {
        self.setting(REPLACED_KEY)?.map(|json| serde_json::from_str(&json).map_err(|err| StoreError::Corrupt(format!("replaced team rules: {err}")))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchordesk_claims::{Category, LintOptions, Linter, Severity, TeamWord};

    #[test]
    fn team_words_and_disabled_rules_reach_the_linter_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        let rules_dir = dir.path().join("rules");
        let text = "这款蜂蜜闭眼入，全网最低价";
        let before = Linter::with_team_packs(&rules_dir).0.lint(text, &LintOptions::default());
        let lowest = before.iter().find(|f| f.matched == "全网最低价").expect("a default rule fires").rule_id.clone();

        let settings = TeamSettings {
            disabled_rules: vec![lowest.clone()],
            words: vec![TeamWord {
                pattern: "闭眼入".into(),
                category: Category::Absolute,
                severity: Severity::Warning,
                message: "品牌禁用词：闭眼入".into(),
                rewrites: vec!["口感很好".into()],
            }],
            lexicon_words: vec![],
        };
        store.save_team_rules(&settings, &rules_dir).unwrap();
        assert_eq!(store.team_rules().unwrap(), settings);

        let (linter, errors) = Linter::with_team_packs(&rules_dir);
        assert!(errors.is_empty(), "{errors:?}");
        let after = linter.lint(text, &LintOptions::default());
        assert!(after.iter().any(|f| f.matched == "闭眼入" && f.severity == Severity::Warning));
        assert!(!after.iter().any(|f| f.rule_id == lowest), "the disabled rule is off");
    }

    #[test]
    fn a_broken_word_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        let rules_dir = dir.path().join("rules");
        let settings = TeamSettings {
            disabled_rules: vec![],
            words: vec![TeamWord {
                pattern: "[abc".into(),
                category: Category::Absolute,
                severity: Severity::Error,
                message: "x".into(),
                rewrites: vec![],
            }],
            lexicon_words: vec![],
        };
        assert!(matches!(store.save_team_rules(&settings, &rules_dir), Err(StoreError::Invalid(_))));
        assert!(!rules_dir.join(TEAM_PACK_FILE).exists());
        assert_eq!(store.team_rules().unwrap(), TeamSettings::default());
    }

    #[test]
    fn a_word_for_an_unknown_lexicon_is_refused_and_a_known_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        let rules_dir = dir.path().join("rules");
        let bad = TeamSettings {
            lexicon_words: vec![anchordesk_claims::TeamLexiconWord { lexicon: "diseases".into(), word: "鼠标手".into() }],
            ..TeamSettings::default()
        };
        let Err(StoreError::Invalid(errors)) = store.save_team_rules(&bad, &rules_dir) else { panic!("refused") };
        assert_eq!(errors[0].field, "lexiconWords");
        assert!(!rules_dir.join(TEAM_PACK_FILE).exists());
        let good = TeamSettings {
            lexicon_words: vec![anchordesk_claims::TeamLexiconWord { lexicon: "disease".into(), word: "鼠标手".into() }],
            ..TeamSettings::default()
        };
        store.save_team_rules(&good, &rules_dir).unwrap();
        let (linter, errors) = Linter::with_team_packs(&rules_dir);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(linter.lint("缓解鼠标手", &LintOptions::default()).len(), 1);
    }
}
