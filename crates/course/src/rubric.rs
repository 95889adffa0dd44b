//! The rubric (评分标准): which criteria count, their weights and their parameters.
//!
//! `assets/rubric/default.toml` is embedded; a teacher may load their own. Weights sum to
//! 100 and every criterion id must be one of [`CriterionId`].

use serde::{Deserialize, Serialize};

/// The default rubric's TOML source.
pub const DEFAULT_RUBRIC: &str = include_str!("../../../assets/rubric/default.toml");

/// The criteria `grade` knows how to score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CriterionId {
    /// Linter findings in the script and in what was said or typed live.
    Compliance,
    /// Scripted events handled or missed.
    RiskyEvents,
    /// Actual against planned minutes per product.
    Timing,
    /// Checklist completion before, during and after.
    Checklist,
    /// Each product presented, its price and after-sales policy stated.
    ProductCoverage,
    /// Viewers, orders and GMV against the scenario's expectation.
    Audience,
}

impl CriterionId {
    /// Every criterion, in report order.
    pub const ALL: [CriterionId; 6] = [
        CriterionId::Compliance,
        CriterionId::RiskyEvents,
        CriterionId::Timing,
        CriterionId::Checklist,
        CriterionId::ProductCoverage,
        CriterionId::Audience,
    ];

    /// The id as written in rubric files and column names, e.g. `risky_events`.
    pub fn as_str(self) -> &'static str {
        match self {
            CriterionId::Compliance => "compliance",
            CriterionId::RiskyEvents => "risky_events",
            CriterionId::Timing => "timing",
            CriterionId::Checklist => "checklist",
            CriterionId::ProductCoverage => "product_coverage",
            CriterionId::Audience => "audience",
        }
    }

    /// Parses [`CriterionId::as_str`].
    pub fn parse(text: &str) -> Option<CriterionId> {
        CriterionId::ALL.into_iter().find(|id| id.as_str() == text)
    }
}

/// A validated rubric.
///
/// A rubric is a file format (snake_case keys, as teachers write them) and is not exported
/// to TypeScript; the window sees titles and weights through `GradedReport`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rubric {
    /// Rubric id, e.g. `default`.
    pub id: String,
    /// Version; a report names it.
    pub version: u32,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// The criteria in file order; weights sum to 100.
    pub criteria: Vec<Criterion>,
}

/// One criterion with its weight and parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Criterion {
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Share of the total, 0..=100.
    pub weight: u32,
    /// Which criterion, with its parameters.
    pub params: CriterionParams,
}

impl Criterion {
    /// The criterion's id.
    pub fn id(&self) -> CriterionId {
        match self.params {
            CriterionParams::Compliance(_) => CriterionId::Compliance,
            CriterionParams::RiskyEvents(_) => CriterionId::RiskyEvents,
            CriterionParams::Timing(_) => CriterionId::Timing,
            CriterionParams::Checklist(_) => CriterionId::Checklist,
            CriterionParams::ProductCoverage(_) => CriterionId::ProductCoverage,
            CriterionParams::Audience(_) => CriterionId::Audience,
        }
    }
}

/// The parameters of each criterion.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "id", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CriterionParams {
    Compliance(ComplianceParams),
    RiskyEvents(RiskyEventsParams),
    Timing(TimingParams),
    Checklist(ChecklistParams),
    ProductCoverage(ProductCoverageParams),
    Audience(AudienceParams),
}

/// Points lost per linter finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceParams {
    /// Per error-level finding in the script.
    pub script_error_points: u32,
    /// Per error-level finding in what was said or typed live.
    pub live_error_points: u32,
    /// Per warning, wherever it was found.
    pub warning_points: u32,
}

/// Credit for a correct but late reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskyEventsParams {
    /// Percent of an event's credit given when the handling was right but late.
    pub late_credit_percent: u32,
}

/// Tolerance of actual against planned minutes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingParams {
    /// Deviation from plan, in percent of the plan, that costs nothing.
    pub tolerance_percent: u32,
    /// Points lost per percent outside the tolerance.
    pub points_per_percent_outside: u32,
}

/// Phase shares and the cost of open critical items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistParams {
    /// Share of the pre-live checklist; the three shares sum to 100.
    pub before_percent: u32,
    /// Share of the live checklist.
    pub during_percent: u32,
    /// Share of the post-live checklist.
    pub after_percent: u32,
    /// Points lost per critical item left open.
    pub critical_open_points: u32,
}

/// Points per product for each fact; they sum to 100.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductCoverageParams {
    /// For presenting the product.
    pub presented_points: u32,
    /// For stating its price.
    pub price_points: u32,
    /// For stating its after-sales policy.
    pub after_sales_points: u32,
}

/// Points for each audience figure against the expectation; they sum to 100.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceParams {
    /// For peak viewers.
    pub peak_viewers_points: u32,
    /// For orders.
    pub orders_points: u32,
    /// For GMV.
    pub gmv_points: u32,
}

/// Why a rubric was refused.
#[derive(Debug, thiserror::Error)]
pub enum RubricError {
    /// The TOML does not parse or does not fit the schema.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        /// The file's name.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A criterion id that `grade` does not know.
    #[error("{file}: unknown criterion {id:?}; use one of compliance, risky_events, timing, checklist, product_coverage, audience")]
    UnknownCriterion {
        /// The file's name.
        file: String,
        /// The id found.
        id: String,
    },
    /// A criterion listed twice.
    #[error("{file}: criterion {id:?} is listed twice")]
    DuplicateCriterion {
        /// The file's name.
        file: String,
        /// The id.
        id: String,
    },
    /// Weights do not sum to 100.
    #[error("{file}: criterion weights sum to {sum}, not 100; adjust the weights")]
    WeightSum {
        /// The file's name.
        file: String,
        /// The sum found.
        sum: u32,
    },
    /// A criterion's parameters are inconsistent.
    #[error("{file}: criterion {id:?}: {message}")]
    Params {
        /// The file's name.
        file: String,
        /// The criterion.
        id: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRubric {
    id: String,
    version: u32,
    title_zh: String,
    title_en: String,
    criteria: Vec<toml::Spanned<RawCriterion>>,
}

#[derive(Deserialize)]
struct RawCriterion {
    id: String,
    title_zh: String,
    title_en: String,
    weight: u32,
    #[serde(flatten)]
    params: toml::Table,
}

impl Rubric {
    /// The embedded default rubric.
    pub fn default_rubric() -> Rubric {
        Rubric::parse("default.toml", DEFAULT_RUBRIC).expect("the default rubric is valid (tested)")
    }

    /// Parses and validates a rubric; `file` names it in errors.
    pub fn parse(file: &str, source: &str) -> Result<Rubric, RubricError> {
        let parse_error = |span: Option<std::ops::Range<usize>>, message: String| {
            let (line, column) = span.map(|span| line_column(source, span.start)).unwrap_or((0, 0));
            RubricError::Parse { file: file.to_string(), line, column, message }
        };
        let raw: RawRubric =
            toml::from_str(source).map_err(|err| parse_error(err.span(), err.message().to_string()))?;
        let mut criteria: Vec<Criterion> = Vec::new();
        for spanned in raw.criteria {
            let span = spanned.span();
            let raw_criterion = spanned.into_inner();
            let id = CriterionId::parse(&raw_criterion.id)
                .ok_or_else(|| RubricError::UnknownCriterion { file: file.to_string(), id: raw_criterion.id.clone() })?;
            if criteria.iter().any(|c| c.id() == id) {
                return Err(RubricError::DuplicateCriterion { file: file.to_string(), id: raw_criterion.id });
            }
            let table = toml::Value::Table(raw_criterion.params);
            let params_error = |err: toml::de::Error| {
                parse_error(Some(span.clone()), format!("criterion {:?}: {}", raw_criterion.id, err.message()))
            };
            let params = match id {
                CriterionId::Compliance => CriterionParams::Compliance(table.try_into().map_err(params_error)?),
                CriterionId::RiskyEvents => CriterionParams::RiskyEvents(table.try_into().map_err(params_error)?),
                CriterionId::Timing => CriterionParams::Timing(table.try_into().map_err(params_error)?),
                CriterionId::Checklist => CriterionParams::Checklist(table.try_into().map_err(params_error)?),
                CriterionId::ProductCoverage => {
                    CriterionParams::ProductCoverage(table.try_into().map_err(params_error)?)
                }
                CriterionId::Audience => CriterionParams::Audience(table.try_into().map_err(params_error)?),
            };
            let params_invalid =
                |message: String| RubricError::Params { file: file.to_string(), id: id.as_str().to_string(), message };
            match &params {
                CriterionParams::Checklist(p) if p.before_percent + p.during_percent + p.after_percent != 100 => {
                    return Err(params_invalid(format!(
                        "before/during/after percents sum to {}, not 100",
                        p.before_percent + p.during_percent + p.after_percent
                    )));
                }
                CriterionParams::ProductCoverage(p)
                    if p.presented_points + p.price_points + p.after_sales_points != 100 =>
                {
                    return Err(params_invalid(format!(
                        "presented/price/after-sales points sum to {}, not 100",
                        p.presented_points + p.price_points + p.after_sales_points
                    )));
                }
                CriterionParams::Audience(p) if p.peak_viewers_points + p.orders_points + p.gmv_points != 100 => {
                    return Err(params_invalid(format!(
                        "viewers/orders/GMV points sum to {}, not 100",
                        p.peak_viewers_points + p.orders_points + p.gmv_points
                    )));
                }
                CriterionParams::RiskyEvents(p) if p.late_credit_percent > 100 => {
                    return Err(params_invalid(format!("late_credit_percent {} is over 100", p.late_credit_percent)));
                }
                _ => {}
            }
            criteria.push(Criterion {
                title_zh: raw_criterion.title_zh,
                title_en: raw_criterion.title_en,
                weight: raw_criterion.weight,
                params,
            });
        }
        let sum: u32 = criteria.iter().map(|c| c.weight).sum();
        if sum != 100 {
            return Err(RubricError::WeightSum { file: file.to_string(), sum });
        }
        Ok(Rubric { id: raw.id, version: raw.version, title_zh: raw.title_zh, title_en: raw.title_en, criteria })
    }
}

pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rubric_has_every_criterion_and_sums_to_100() {
        let rubric = Rubric::default_rubric();
        let ids: Vec<CriterionId> = rubric.criteria.iter().map(Criterion::id).collect();
        assert_eq!(ids, CriterionId::ALL);
        assert_eq!(rubric.criteria.iter().map(|c| c.weight).sum::<u32>(), 100);
    }

    #[test]
    fn weights_that_do_not_sum_to_100_are_refused_with_the_sum() {
        let source = DEFAULT_RUBRIC.replacen("weight = 25", "weight = 30", 1);
        let err = Rubric::parse("mine.toml", &source).unwrap_err();
        assert_eq!(err.to_string(), "mine.toml: criterion weights sum to 105, not 100; adjust the weights");
    }

    #[test]
    fn an_unknown_criterion_is_refused_by_name() {
        let source = DEFAULT_RUBRIC.replacen("id = \"audience\"", "id = \"charisma\"", 1);
        let err = Rubric::parse("mine.toml", &source).unwrap_err();
        assert!(matches!(&err, RubricError::UnknownCriterion { id, .. } if id == "charisma"), "{err}");
    }

    #[test]
    fn a_duplicate_criterion_is_refused() {
        let source = DEFAULT_RUBRIC.replacen("id = \"audience\"", "id = \"compliance\"", 1);
        let err = Rubric::parse("mine.toml", &source).unwrap_err();
        assert!(matches!(&err, RubricError::DuplicateCriterion { id, .. } if id == "compliance"), "{err}");
    }

    #[test]
    fn a_misspelt_parameter_names_the_criterion_and_its_line() {
        let source = DEFAULT_RUBRIC.replacen("tolerance_percent", "tolerence_percent", 1);
        let err = Rubric::parse("mine.toml", &source).unwrap_err();
        let text = err.to_string();
        let line = DEFAULT_RUBRIC.lines().position(|l| l.contains("id = \"timing\"")).unwrap();
        assert!(text.contains("criterion \"timing\""), "{text}");
        assert!(text.contains("tolerence_percent"), "{text}");
        // The span is the criterion's table, which starts at its `[[criteria]]` header.
        assert!(text.starts_with(&format!("mine.toml:{}:", line)), "{text}");
    }

    #[test]
    fn phase_shares_must_sum_to_100() {
        let source = DEFAULT_RUBRIC.replacen("before_percent = 50", "before_percent = 40", 1);
        let err = Rubric::parse("mine.toml", &source).unwrap_err();
        assert!(err.to_string().contains("sum to 90, not 100"), "{err}");
    }
}
