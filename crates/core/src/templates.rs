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

/// Where a desk keeps its team's templates (`<data dir>/templates/<name>.toml`, taken from
/// the team server at each sync).
pub fn team_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("templates")
}

/// Whether `name` can name a team template: 1-40 ASCII letters, digits, `-` or `_`, and not a
/// built-in template's name.
pub fn valid_team_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !BUILT_IN.iter().any(|(built_in, _)| *built_in == name)
}

/// Parses a template and checks its codes (segment kinds, people, phases, roles, checks).
pub fn parse_checked(file: &str, text: &str) -> Result<Template, TemplateError> {
    let template = parse(file, text)?;
    template.resolve()?;
    Ok(template)
}

/// The built-in templates and then the team's in `team_dir` (by file name), with the files
/// that could not be read.
pub fn all(data_dir: &std::path::Path) -> (Vec<Template>, Vec<TemplateError>) {
    let mut templates = built_in();
    let mut problems = Vec::new();
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(team_dir(data_dir)).into_iter().flatten().flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "toml")) {
        let Some(name) = path.file_stem().and_then(|s| s.to_str()).filter(|n| valid_team_name(n)).map(str::to_string) else { continue };
        let file = path.display().to_string();
        match std::fs::read_to_string(&path).map_err(|err| TemplateError::Syntax { file: file.clone(), line: 0, message: err.to_string() }).and_then(|text| parse_checked(&file, &text)) {
            Ok(mut template) => {
                template.name = name;
                templates.push(template);
            }
            Err(err) => problems.push(err),
        }
    }
    (templates, problems)
}

/// A template by name: built-in or the team's.
pub fn find(data_dir: &std::path::Path, name: &str) -> Result<Template, TemplateError> {
    all(data_dir).0.into_iter().find(|t| t.name == name).ok_or_else(|| TemplateError::NotFound(name.to_string()))
}

impl Template {
    /// The template as a TOML file (what a team shares).
    pub fn to_toml(&self) -> String {
        let mut template = self.clone();
        template.name = String::new();
        toml::to_string(&template).unwrap_or_default().replace("name = \"\"\n", "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_written_as_toml_reads_back_the_same() {
        for template in built_in() {
            let text = template.to_toml();
            let mut back = parse_checked("shared.toml", &text).unwrap_or_else(|err| panic!("{}: {err}\n{text}", template.name));
            back.name = template.name.clone();
            assert_eq!(back, template);
        }
    }

    #[test]
    fn team_templates_sit_beside_the_built_in_ones_by_file_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(team_dir(dir.path())).unwrap();
        let mut own = by_name("farmer").unwrap();
        own.title = "星火 3 号间晚场".into();
        std::fs::write(team_dir(dir.path()).join("xinghuo-night.toml"), own.to_toml()).unwrap();
        std::fs::write(team_dir(dir.path()).join("broken.toml"), "title = 3").unwrap();
        std::fs::write(team_dir(dir.path()).join("farmer.toml"), own.to_toml()).unwrap();
        let (templates, problems) = all(dir.path());
        assert_eq!(templates.len(), built_in().len() + 1, "a file named like a built-in template is not one");
        assert_eq!(find(dir.path(), "xinghuo-night").unwrap().title, "星火 3 号间晚场");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].to_string().contains("broken.toml"), "{}", problems[0]);
        assert!(valid_team_name("night_2") && !valid_team_name("晚场") && !valid_team_name("mcn") && !valid_team_name(""));
    }

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
