//! Rule packs: TOML files a compliance officer can read and edit.
//!
//! A pack looks like this (see `assets/rules/` for the defaults):
//!
//! ```toml
//! lang = "zh"                 # zh or en
//! category = "absolute"       # default category of the rules below
//! disable = ["zh.absolute.first"]   # rules of earlier packs to switch off (team packs)
//! allow = ["第一坊"]           # brand and product names that no rule flags (CN-ABSG-6(4))
//!
//! [[rule]]
//! id = "zh.absolute.lowest-price"
//! # lang = "en"              # a rule may override the pack's language
//! severity = "error"          # error, warning or info
//! patterns = ["全网最低价", "(史上|全网)最低"]
//! except = []                 # phrases that cover a match and make it harmless
//! message = "“全网最低价”无法证明，属于绝对化用语"
//! laws = ["CN-AD-9-3"]        # IDs from the legal catalogue
//! rewrites = ["直播间专享价"]
//! explain = "longer text for --explain"
//! ```
//!
//! Cross-checks against product facts use `check` (`certificate`, `original-price`,
//! `stock`, `gift`, `promise`), `certificate` (`organic`, `green-food`, `geographical-indication`,
//! `pollution-free`) and `fail_message`, which may use `{value}` and `{limit}`.

use serde::Deserialize;
use toml::Spanned;

use crate::finding::{Category, LegalRef, Rewrite, Severity};
use crate::laws;
use crate::compound::{self, Compound, Link};
use crate::lexicon::{self, Lexicons};
use std::sync::Arc;
use crate::pattern::{self, Pattern};
use crate::product::{Certificate, ProductCategory};
use std::collections::BTreeMap;

/// A rule pack that could not be loaded, with the place of the problem.
///
/// Display: `file:line:column: message`, ready for a compiler-like report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
#[error("{pack}:{line}:{column}: {message}")]
pub struct PackError {
    /// The pack's file name or path.
    pub pack: String,
    /// 1-based line of the problem (0 when the file could not be read at all).
    pub line: u32,
    /// 1-based column of the problem, in characters.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// The language a pack's rules are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PackLang {
    Zh,
    En,
}

impl PackLang {
    pub fn as_str(self) -> &'static str {
        match self {
            PackLang::Zh => "zh",
            PackLang::En => "en",
        }
    }
}

/// A cross-check against product facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    Certificate(Certificate),
    OriginalPrice,
    Stock,
    Gift,
    Promise,
}

/// A rule after validation, with its patterns expanded.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub lang: PackLang,
    pub pack: String,
    pub message: String,
    pub laws: Vec<LegalRef>,
    pub rewrites: Vec<Rewrite>,
    pub explain: String,
    pub pattern_sources: Vec<String>,
    pub except_sources: Vec<String>,
    pub patterns: Vec<Pattern>,
    pub exceptions: Vec<Pattern>,
    /// Patterns with lexicon references.
    pub compounds: Vec<Arc<Compound>>,
    /// Exceptions with lexicon references.
    pub exception_compounds: Vec<Arc<Compound>>,
    pub check: Option<Check>,
    pub fail_message: Option<String>,
    /// A denial before the match (不能治病, not the cheapest) makes it harmless.
    pub negatable: bool,
    /// Product categories for which the claim is lawful (a registered 保健食品 may state
    /// its approved function): reported as info there, naming the category.
    pub allowed_for: Vec<ProductCategory>,
    /// The lexicons the rule's patterns use, in order of first use.
    pub lexicons: Vec<String>,
}

/// A validated pack.
#[derive(Debug, Clone)]
pub(crate) struct Pack {
    pub rules: Vec<Rule>,
    pub disable: Vec<String>,
    /// Phrases that cover and silence a match of any rule.
    pub allow: Vec<Pattern>,
}

/// The lexicon entries a pack adds (`[lexicon] disease = [...]`), read before the rest so
/// that every pack's rules see every team's words.
#[derive(Deserialize, Default)]
struct RawAdditions {
    #[serde(default)]
    lexicon: BTreeMap<String, Vec<String>>,
}

/// The lexicon additions of a pack source (empty when it has none or does not parse; the
/// full parse reports the problem).
pub(crate) fn lexicon_additions(source: &str) -> BTreeMap<String, Vec<String>> {
    toml::from_str::<RawAdditions>(source).map(|raw| raw.lexicon).unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    lang: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    rule: Vec<RawRule>,
    /// Read by [`lexicon_additions`].
    #[serde(default)]
    #[allow(dead_code)]
    lexicon: BTreeMap<String, Vec<String>>,
    negatable: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    lang: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    severity: Spanned<String>,
    patterns: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    except: Vec<Spanned<String>>,
    message: String,
    laws: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    rewrites: Vec<String>,
    #[serde(default)]
    explain: String,
    check: Option<Spanned<String>>,
    certificate: Option<Spanned<String>>,
    fail_message: Option<String>,
    negatable: Option<bool>,
    #[serde(default)]
    allowed_for: Vec<Spanned<String>>,
}

struct Locator<'a> {
    pack: &'a str,
    source: &'a str,
}

impl Locator<'_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> PackError {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.source[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        PackError {
            pack: self.pack.to_owned(),
            line: line as u32,
            column: column as u32,
            message: message.into(),
        }
    }

    fn at<T>(&self, spanned: &Spanned<T>, message: impl Into<String>) -> PackError {
        self.error(spanned.span().start, message)
    }
}

/// Parses and validates one pack. `pack` names it in errors and in rule summaries.
pub(crate) fn parse(pack: &str, source: &str, lexicons: &Lexicons) -> Result<Pack, PackError> {
    let locator = Locator { pack, source };
    let raw: RawPack = toml::from_str(source).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        locator.error(offset, error.message().trim_end_matches('\n').to_owned())
    })?;
    let lang = match &raw.lang {
        None => None,
        Some(lang) => Some(parse_lang(&locator, lang)?),
    };
    let pack_category = match &raw.category {
        None => None,
        Some(name) => Some(parse_category(&locator, name)?),
    };
    let mut rules: Vec<Rule> = Vec::with_capacity(raw.rule.len());
    for raw_rule in raw.rule {
        let id = raw_rule.id.get_ref().trim().to_owned();
        if id.is_empty() || id.contains(char::is_whitespace) {
            return Err(locator.at(
                &raw_rule.id,
                format!("rule id {id:?} must be non-empty without spaces"),
            ));
        }
        if rules.iter().any(|rule| rule.id == id) {
            return Err(locator.at(
                &raw_rule.id,
                format!("rule id {id:?} appears twice in this pack"),
            ));
        }
        let category = match &raw_rule.category {
            Some(name) => parse_category(&locator, name)?,
            None => pack_category.ok_or_else(|| {
                locator.at(
                    &raw_rule.id,
                    format!("rule {id:?} has no category and the pack sets none"),
                )
            })?,
        };
        let lang = match (&raw_rule.lang, lang) {
            (Some(rule_lang), _) => parse_lang(&locator, rule_lang)?,
            (None, Some(lang)) => lang,
            (None, None) if id.starts_with("en.") => PackLang::En,
            (None, None) => PackLang::Zh,
        };
        let severity = match raw_rule.severity.get_ref().as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "info" => Severity::Info,
            other => {
                return Err(locator.at(
                    &raw_rule.severity,
                    format!("unknown severity {other:?} (use error, warning or info)"),
                ));
            }
        };
        if raw_rule.patterns.get_ref().is_empty() {
            return Err(locator.at(&raw_rule.patterns, format!("rule {id:?} has no patterns")));
        }
        let mut patterns = Vec::new();
        let mut compounds = Vec::new();
        for source in raw_rule.patterns.get_ref() {
            compile_source(&locator, source, lexicons, &mut patterns, &mut compounds)?;
        }
        let mut exceptions = Vec::new();
        let mut exception_compounds = Vec::new();
        for source in &raw_rule.except {
            compile_source(&locator, source, lexicons, &mut exceptions, &mut exception_compounds)?;
        }
        if raw_rule.laws.get_ref().is_empty() {
            return Err(locator.at(&raw_rule.laws, format!("rule {id:?} cites no law")));
        }
        let mut legal_refs = Vec::new();
        for law in raw_rule.laws.get_ref() {
            let legal_ref = laws::legal_ref(law.get_ref()).ok_or_else(|| {
                locator.at(
                    law,
                    format!("unknown law ID {:?} (see law.md)", law.get_ref()),
                )
            })?;
            legal_refs.push(legal_ref);
        }
        let check = match &raw_rule.check {
            None => None,
            Some(check) => Some(match check.get_ref().as_str() {
                "certificate" => {
                    let kind = raw_rule.certificate.as_ref().ok_or_else(|| {
                        locator.at(check, "check = \"certificate\" needs `certificate = ...`")
                    })?;
                    let certificate = Certificate::parse(kind.get_ref()).ok_or_else(|| {
                        locator.at(kind, format!("unknown certificate {:?}", kind.get_ref()))
                    })?;
                    Check::Certificate(certificate)
                }
                "original-price" => Check::OriginalPrice,
                "stock" => Check::Stock,
                "gift" => Check::Gift,
                "promise" => Check::Promise,
                other => {
                    return Err(locator.at(
                        check,
                        format!("unknown check {other:?} (use certificate, original-price, stock, gift or promise)"),
                    ));
                }
            }),
        };
        if matches!(check, Some(Check::OriginalPrice | Check::Stock))
            && (patterns.iter().any(|p| p.hole != Some(pattern::Hole::Num))
                || compounds.iter().any(|c| c.link != Link::Num))
        {
            return Err(locator.at(
                &raw_rule.patterns,
                format!("every pattern of rule {id:?} needs a {{n}} for its check"),
            ));
        }
        let mut allowed_for = Vec::new();
        for name in &raw_rule.allowed_for {
            allowed_for.push(ProductCategory::parse(name.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = ProductCategory::ALL.iter().map(|c| c.as_str()).collect();
                locator.at(name, format!("unknown product category {:?} (known: {})", name.get_ref(), known.join(", ")))
            })?);
        }
        let mut used_lexicons: Vec<String> = Vec::new();
        for source in raw_rule.patterns.get_ref().iter().chain(&raw_rule.except) {
            for name in lexicon::references(source.get_ref()) {
                if !used_lexicons.iter().any(|n| n == name) {
                    used_lexicons.push(name.to_owned());
                }
            }
        }
        rules.push(Rule {
            negatable: raw_rule.negatable.or(raw.negatable).unwrap_or(true),
            allowed_for,
            lexicons: used_lexicons,
            id,
            category,
            severity,
            lang,
            pack: pack.to_owned(),
            message: raw_rule.message,
            laws: legal_refs,
            rewrites: raw_rule
                .rewrites
                .into_iter()
                .map(|text| Rewrite { text })
                .collect(),
            explain: raw_rule.explain.trim().to_owned(),
            pattern_sources: raw_rule
                .patterns
                .into_inner()
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            except_sources: raw_rule
                .except
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            patterns,
            exceptions,
            compounds,
            exception_compounds,
            check,
            fail_message: raw_rule.fail_message,
        });
    }
    let mut allow = Vec::new();
    for source in &raw.allow {
        if source.get_ref().contains("{@") {
            return Err(locator.at(source, "`allow` takes names, not lexicons"));
        }
        allow.extend(pattern::expand(source.get_ref()).map_err(|message| locator.at(source, message))?);
    }
    Ok(Pack {
        rules,
        disable: raw.disable,
        allow,
    })
}

/// Above this many variants a plain pattern compiles to a two-sided compound instead.
const MAX_PLAIN_VARIANTS: usize = 64;

/// Compiles one pattern source: plain patterns expand, lexicon references compile to a
/// compound.
fn compile_source(
    locator: &Locator<'_>,
    source: &Spanned<String>,
    lexicons: &Lexicons,
    plain: &mut Vec<Pattern>,
    compounds: &mut Vec<Arc<Compound>>,
) -> Result<(), PackError> {
    if source.get_ref().contains("{@") || source.get_ref().contains("{c}") || source.get_ref().contains("{s}") {
        let compiled = compound::compile(source.get_ref(), lexicons).map_err(|message| locator.at(source, message))?;
        compounds.push(Arc::new(compiled));
    } else {
        match pattern::expand(source.get_ref()) {
            // Many alternatives multiply keys in the automaton; two sides keep it small.
            Ok(patterns) => {
                let large = patterns.len() > MAX_PLAIN_VARIANTS && !source.get_ref().contains("{w}");
                // A shape only the plain form handles (a `{n}` inside `(..|..)`) stays plain.
                match large.then(|| compound::compile(source.get_ref(), lexicons).ok()).flatten() {
                    Some(compiled) => compounds.push(Arc::new(compiled)),
                    None => plain.extend(patterns),
                }
            }
            // Too many alternatives to spell out: split into two sides instead.
            Err(message) if message.contains("variants") && !source.get_ref().contains("{w}") => {
                let compiled = compound::compile(source.get_ref(), lexicons).map_err(|message| locator.at(source, message))?;
                compounds.push(Arc::new(compiled));
            }
            Err(message) => return Err(locator.at(source, message)),
        }
    }
    Ok(())
}

fn parse_lang(locator: &Locator<'_>, lang: &Spanned<String>) -> Result<PackLang, PackError> {
    match lang.get_ref().as_str() {
        "zh" => Ok(PackLang::Zh),
        "en" => Ok(PackLang::En),
        other => Err(locator.at(
            lang,
            format!("unknown lang {other:?} (use \"zh\" or \"en\")"),
        )),
    }
}

fn parse_category(locator: &Locator<'_>, name: &Spanned<String>) -> Result<Category, PackError> {
    Category::parse(name.get_ref()).ok_or_else(|| {
        let known: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        locator.at(
            name,
            format!(
                "unknown category {:?} (known: {})",
                name.get_ref(),
                known.join(", ")
            ),
        )
    })
}

/// The default packs, embedded in the binary: `(file name, source)`.
pub(crate) const DEFAULT_PACKS: &[(&str, &str)] = &[
    (
        "zh-absolute.toml",
        include_str!("../../../assets/rules/zh-absolute.toml"),
    ),
    (
        "zh-state-organ.toml",
        include_str!("../../../assets/rules/zh-state-organ.toml"),
    ),
    (
        "zh-medical.toml",
        include_str!("../../../assets/rules/zh-medical.toml"),
    ),
    (
        "zh-guarantee.toml",
        include_str!("../../../assets/rules/zh-guarantee.toml"),
    ),
    (
        "zh-certification.toml",
        include_str!("../../../assets/rules/zh-certification.toml"),
    ),
    (
        "zh-price.toml",
        include_str!("../../../assets/rules/zh-price.toml"),
    ),
    (
        "zh-disparagement.toml",
        include_str!("../../../assets/rules/zh-disparagement.toml"),
    ),
    (
        "zh-endorsement.toml",
        include_str!("../../../assets/rules/zh-endorsement.toml"),
    ),
    (
        "zh-fake-figures.toml",
        include_str!("../../../assets/rules/zh-fake-figures.toml"),
    ),
    (
        "zh-superstition.toml",
        include_str!("../../../assets/rules/zh-superstition.toml"),
    ),
    (
        "zh-gift-delivery.toml",
        include_str!("../../../assets/rules/zh-gift-delivery.toml"),
    ),
    (
        "zh-off-platform.toml",
        include_str!("../../../assets/rules/zh-off-platform.toml"),
    ),
    (
        "zh-grammar.toml",
        include_str!("../../../assets/rules/zh-grammar.toml"),
    ),
    (
        "en-absolute.toml",
        include_str!("../../../assets/rules/en-absolute.toml"),
    ),
    (
        "en-health.toml",
        include_str!("../../../assets/rules/en-health.toml"),
    ),
    (
        "en-claims.toml",
        include_str!("../../../assets/rules/en-claims.toml"),
    ),
    (
        "en-grammar.toml",
        include_str!("../../../assets/rules/en-grammar.toml"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_packs_load() {
        for (name, source) in DEFAULT_PACKS {
            if let Err(error) = parse(name, source, &Lexicons::defaults()) {
                panic!("{error}");
            }
        }
    }

    #[test]
    fn errors_point_at_the_line() {
        let source = "lang = \"zh\"\ncategory = \"absolute\"\n\n[[rule]]\nid = \"x\"\nseverity = \"error\"\npatterns = [\"最\"]\nmessage = \"m\"\nlaws = [\"CN-AD-99\"]\n";
        let error = parse("team.toml", source, &Lexicons::defaults()).unwrap_err();
        assert_eq!((error.line, error.column), (9, 9));
        assert_eq!(
            error.to_string(),
            "team.toml:9:9: unknown law ID \"CN-AD-99\" (see law.md)"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_line() {
        let source = "lang = \"zh\"\n[[rule]]\nid = \"x\nseverity = \"error\"\n";
        let error = parse("team.toml", source, &Lexicons::defaults()).unwrap_err();
        assert_eq!(error.line, 3, "{error}");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let source = "lang = \"zh\"\ncategory = \"absolute\"\n[[rule]]\nid = \"x\"\nseverity = \"error\"\npatterns = [\"最\"]\nmessage = \"m\"\nlaws = [\"CN-AD-9-3\"]\nrewrite = [\"很\"]\n";
        let error = parse("team.toml", source, &Lexicons::defaults()).unwrap_err();
        assert_eq!(error.line, 9, "{error}");
        assert!(error.message.contains("rewrite"), "{error}");
    }
}
