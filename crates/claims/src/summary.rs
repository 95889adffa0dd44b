//! Counts for the compliance report of a broadcast ("Check this broadcast").

use serde::{Deserialize, Serialize};

use crate::finding::{Category, Finding, Severity};

/// Findings of one category, counted by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CategoryCount {
    /// The category.
    pub category: Category,
    /// Error findings.
    pub errors: u32,
    /// Warning findings.
    pub warnings: u32,
    /// Info findings.
    pub infos: u32,
}

/// Findings counted by severity and by category, for a report's header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ComplianceSummary {
    /// All error findings.
    pub errors: u32,
    /// All warning findings.
    pub warnings: u32,
    /// All info findings.
    pub infos: u32,
    /// Categories that have findings, in [`Category::ALL`] order.
    pub by_category: Vec<CategoryCount>,
}

impl ComplianceSummary {
    /// Counts `findings` (of one text or of a whole broadcast, chained together).
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> ComplianceSummary {
        let mut counts = Category::ALL.map(|category| CategoryCount {
            category,
            errors: 0,
            warnings: 0,
            infos: 0,
        });
        for finding in findings {
            let count = &mut counts[finding.category as usize];
            match finding.severity {
                Severity::Error => count.errors += 1,
                Severity::Warning => count.warnings += 1,
                Severity::Info => count.infos += 1,
            }
        }
        let by_category: Vec<CategoryCount> = counts
            .into_iter()
            .filter(|c| c.errors + c.warnings + c.infos > 0)
            .collect();
        ComplianceSummary {
            errors: by_category.iter().map(|c| c.errors).sum(),
            warnings: by_category.iter().map(|c| c.warnings).sum(),
            infos: by_category.iter().map(|c| c.infos).sum(),
            by_category,
        }
    }

    /// True when nothing blocks going live: no error findings.
    pub fn is_clean(&self) -> bool {
        self.errors == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LintOptions, Linter};

    #[test]
    fn counts_by_severity_and_category() {
        let linter = Linter::default_packs();
        let script = linter.lint(
            "全网最低价！下单送开果器，最好吃的橙子",
            &LintOptions::default(),
        );
        let title = linter.lint("有机脐橙 包邮", &LintOptions::default());
        let summary = ComplianceSummary::of(script.iter().chain(&title));
        assert_eq!((summary.errors, summary.warnings, summary.infos), (2, 2, 1));
        assert!(!summary.is_clean());
        let categories: Vec<Category> = summary.by_category.iter().map(|c| c.category).collect();
        assert_eq!(
            categories,
            [
                Category::Absolute,
                Category::Certification,
                Category::GiftDelivery
            ]
        );
        assert_eq!(summary.by_category[0].errors, 2);
        assert!(ComplianceSummary::of(&[]).is_clean());
    }
}
