//! Broadcast templates: data files in `assets/templates/*.toml`, embedded in the build.
//! Creating a broadcast from a template fills its segments and its checklist.

use crate::plan::{AutoCheck, Person, Phase, Role, SegmentKind};
use serde::{Deserialize, Serialize};

const BUILT_IN: &[(&str, &str)] = &[
    ("farmer", include_str!("../../../assets/templates/farmer.toml")),
    ("county", include_str!("../../../assets/templates/county.toml")),
    ("mcn", include_str!("../../../assets/templates/mcn.toml")),
    ("course", include_str!("../../../assets/templates/course.toml")),
];

/// A template, as written in its TOML file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Template {
    #[serde(default)]
    pub name: String,
    pub title: String,
    pub title_en: String,
    pub description: String,
    pub description_en: String,
    pub target_minutes: i32,
    /// The scene a broadcast made from it goes on air with (a name in the scene library;
    /// the live crate's tests check that each built-in template names a built-in layout).
    #[serde(default)]
    pub scene: Option<String>,
    #[serde(default, rename = "segment")]
    pub segments: Vec<TemplateSegment>,
    #[serde(default, rename = "checklist")]
    pub checklist: Vec<TemplateChecklistItem>,
}

/// What a user picks a template by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TemplateSummary {
    pub name: String,
    pub title: String,
    pub title_en: String,
    pub description: String,
    pub description_en: String,
    pub target_minutes: i32,
    /// The scene its broadcasts go on air with, if it names one.
    pub scene: Option<String>,
    pub n_segments: i32,
    pub n_checklist_items: i32,
}

impl Template {
    /// The template's summary for lists.
    pub fn summary(&self) -> TemplateSummary {
        TemplateSummary {
            name: self.name.clone(),
            title: self.title.clone(),
            title_en: self.title_en.clone(),
            description: self.description.clone(),
            description_en: self.description_en.clone(),
            target_minutes: self.target_minutes,
            scene: self.scene.clone(),
            n_segments: self.segments.len() as i32,
            n_checklist_items: self.checklist.len() as i32,
        }
    }
}

/// A segment a template puts in the run-of-show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct TemplateSegment {
    pub kind: String,
    pub title: String,
    pub title_en: String,
    pub minutes: i32,
    pub person: String,
    #[serde(default)]
    pub talking_points: String,
    #[serde(default)]
    pub cues: String,
}

/// A checklist item a template adds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct TemplateChecklistItem {
    pub phase: String,
    pub role: String,
    pub title: String,
    pub title_en: String,
    #[serde(default)]
    pub critical: bool,
    #[serde(default)]
    pub auto: Option<String>,
    #[serde(default)]
    pub law: Option<String>,
}

/// A template file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{file}:{line}: {message}")]
    Syntax { file: String, line: usize, message: String },
    #[error("{file}: {what} {value:?} is not one of {allowed}")]
    UnknownCode { file: String, what: &'static str, value: String, allowed: String },
    #[error("{file}: {what} must not be negative (found {value})")]
    Negative { file: String, what: &'static str, value: i32 },
    #[error("no template named {0:?}; run `anchordesk templates list`")]
    NotFound(String),
}

/// A template's segment or checklist item with its codes resolved.
pub(crate) struct Resolved {
    pub segments: Vec<(SegmentKind, Person, TemplateSegment)>,
    pub checklist: Vec<(Phase, Role, Option<AutoCheck>, TemplateChecklistItem)>,
}

/// Parses a template file; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Template, TemplateError> {
    toml::from_str::<Template>(text).map_err(|err| {
        let line = err.span().map(|span| text[..span.start].matches('\n').count() + 1).unwrap_or(0);
        TemplateError::Syntax { file: file.to_string(), line, message: err.message().to_string() }
    })
}

fn code<T: Copy>(file: &str, what: &'static str, value: &str, parse: fn(&str) -> Option<T>, all: &[&str]) -> Result<T, TemplateError> {
    parse(value).ok_or_else(|| TemplateError::UnknownCode {
        file: file.to_string(),
        what,
        value: value.to_string(),
        allowed: all.join(", "),
    })
}

impl Template {
    /// Checks every code and number in the template.
    pub(crate) fn resolve(&self) -> Result<Resolved, TemplateError> {
        let file = format!("{}.toml", self.name);
        let kinds: Vec<&str> = SegmentKind::ALL.iter().map(|k| k.code()).collect();
        let persons: Vec<&str> = Person::ALL.iter().map(|k| k.code()).collect();
        let phases: Vec<&str> = Phase::ALL.iter().map(|k| k.code()).collect();
        let roles: Vec<&str> = Role::ALL.iter().map(|k| k.code()).collect();
        let autos: Vec<&str> = AutoCheck::ALL.iter().map(|k| k.code()).collect();
        if self.target_minutes < 0 {
            return Err(TemplateError::Negative { file, what: "target_minutes", value: self.target_minutes });
        }
        let mut segments = Vec::new();
        for segment in &self.segments {
            if segment.minutes < 0 {
                return Err(TemplateError::Negative { file, what: "segment minutes", value: segment.minutes });
            }
            let kind = code(&file, "segment kind", &segment.kind, SegmentKind::parse, &kinds)?;
            let person = code(&file, "person", &segment.person, Person::parse, &persons)?;
            segments.push((kind, person, segment.clone()));
        }
        let mut checklist = Vec::new();
        for item in &self.checklist {
            let phase = code(&file, "phase", &item.phase, Phase::parse, &phases)?;
            let role = code(&file, "role", &item.role, Role::parse, &roles)?;
            let auto = match &item.auto {
                Some(value) => Some(code(&file, "auto check", value, AutoCheck::parse, &autos)?),
                None => None,
            };
            checklist.push((phase, role, auto, item.clone()));
        }
        Ok(Resolved { segments, checklist })
    }
}

/// The built-in templates, by name. A broken built-in file is a build bug (a test parses them all).
pub fn built_in() -> Vec<Template> {
    BUILT_IN
        .iter()
        .map(|(name, text)| {
            let mut template = parse(&format!("{name}.toml"), text).expect("built-in templates parse (checked by a test)");
            template.name = name.to_string();
            template
        })
        .collect()
}

/// One built-in template by name.
pub fn by_name(name: &str) -> Result<Template, TemplateError> {
    built_in().into_iter().find(|t| t.name == name).ok_or_else(|| TemplateError::NotFound(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_parses_and_resolves() {
        let templates = built_in();
        assert_eq!(templates.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["farmer", "county", "mcn", "course"]);
        for template in &templates {
            let resolved = template.resolve().unwrap_or_else(|e| panic!("{e}"));
            assert!(!resolved.segments.is_empty(), "{} has segments", template.name);
            assert!(resolved.checklist.iter().any(|(phase, ..)| *phase == Phase::PreLive), "{} has pre-live items", template.name);
            assert!(resolved.checklist.iter().any(|(phase, ..)| *phase == Phase::PostLive), "{} has post-live items", template.name);
            assert!(resolved.checklist.iter().any(|(.., item)| item.critical), "{} has critical items", template.name);
        }
    }

    #[test]
    fn county_template_has_its_typical_segments() {
        let county = by_name("county").unwrap();
        let titles: String = county.segments.iter().map(|s| s.title.as_str()).collect();
        for needle in ["县", "故事", "证书", "冷链"] {
            assert!(titles.contains(needle), "county template lacks a segment about {needle}");
        }
    }

    #[test]
    fn a_syntax_error_names_the_line() {
        let text = "title = \"x\"\ntitle_en = \"x\"\ndescription = \"\"\ndescription_en = \"\"\ntarget_minutes = 60\n[[segment]]\nkind = \"opening\"\ntitle = \n";
        match parse("bad.toml", text) {
            Err(TemplateError::Syntax { file, line, .. }) => {
                assert_eq!(file, "bad.toml");
                assert_eq!(line, 8);
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_codes_and_negative_minutes_are_refused() {
        let mut template = by_name("farmer").unwrap();
        template.segments[0].kind = "dance".into();
        assert!(matches!(template.resolve(), Err(TemplateError::UnknownCode { what: "segment kind", .. })));
        let mut template = by_name("farmer").unwrap();
        template.segments[0].minutes = -5;
        assert!(matches!(template.resolve(), Err(TemplateError::Negative { .. })));
    }
}
