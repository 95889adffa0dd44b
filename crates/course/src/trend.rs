//! A student's progress over attempts.

use serde::{Deserialize, Serialize};

use crate::grade::GradedReport;
use crate::rubric::CriterionId;

/// Progress over a student's attempts, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Trend {
    /// One point per attempt, oldest first.
    pub points: Vec<TrendPoint>,
    /// Last total minus first total, one decimal (0 with fewer than two attempts).
    pub change: f64,
    /// The best total.
    pub best: f64,
    /// Index in `points` of the first attempt with the best total.
    pub best_index: u32,
    /// Per criterion: first and last score and the change.
    pub criteria: Vec<CriterionTrend>,
}

/// One attempt in a trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrendPoint {
    /// When the attempt went live.
    pub started_at: String,
    /// Scenario rehearsed.
    pub scenario_id: String,
    /// Total.
    pub total: f64,
}

/// How one criterion moved from the first to the last attempt that scored it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CriterionTrend {
    /// Which criterion.
    pub id: CriterionId,
    /// Score in the first attempt that has it.
    pub first: u32,
    /// Score in the last attempt that has it.
    pub last: u32,
    /// `last - first`.
    pub delta: i32,
}

/// Computes a trend. Reports are put in order of `started_at` (RFC 3339 strings of one
/// time zone compare in time order); ties keep the given order. `None` for no reports.
pub fn trend(reports: &[GradedReport]) -> Option<Trend> {
    let mut ordered: Vec<&GradedReport> = reports.iter().collect();
    ordered.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    let first = *ordered.first()?;
    let last = *ordered.last()?;
    let points: Vec<TrendPoint> = ordered
        .iter()
        .map(|r| TrendPoint { started_at: r.started_at.clone(), scenario_id: r.scenario_id.clone(), total: r.total })
        .collect();
    let (best_index, best) = points
        .iter()
        .enumerate()
        .fold((0, f64::MIN), |(bi, b), (idx, p)| if p.total > b { (idx, p.total) } else { (bi, b) });
    let criteria = CriterionId::ALL
        .into_iter()
        .filter_map(|id| {
            let first = ordered.iter().find_map(|r| r.criterion(id))?.score;
            let last = ordered.iter().rev().find_map(|r| r.criterion(id))?.score;
            Some(CriterionTrend { id, first, last, delta: last as i32 - first as i32 })
        })
        .collect();
    Some(Trend {
        points,
        change: ((last.total - first.total) * 10.0).round() / 10.0,
        best,
        best_index: best_index as u32,
        criteria,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rubric, Student, embedded_scenarios, grade, model_attempt};

    #[test]
    fn trend_orders_by_start_and_reports_change_best_and_criterion_deltas() {
        let scenario = embedded_scenarios().into_iter().next().unwrap();
        let student = Student { id: "1".into(), name: "李四".into() };
        let rubric = Rubric::default_rubric();
        let attempt = |day: u32, orders: u32, price: bool| {
            let mut facts = model_attempt(&scenario, student.clone(), &format!("2026-03-0{day}T09:00:00+08:00"), "");
            facts.audience.orders = orders;
            facts.products[0].price_stated = price;
            grade(&scenario, &rubric, &facts).unwrap()
        };
        let reports = [attempt(3, 12, true), attempt(1, 3, false), attempt(2, 12, false)];
        let trend = trend(&reports).unwrap();
        assert_eq!(trend.points.iter().map(|p| &p.started_at[8..10]).collect::<Vec<_>>(), ["01", "02", "03"]);
        assert_eq!(trend.best, 100.0);
        assert_eq!(trend.best_index, 2);
        assert_eq!(trend.change, ((100.0 - reports[1].total) * 10.0_f64).round() / 10.0);
        let audience = trend.criteria.iter().find(|c| c.id == CriterionId::Audience).unwrap();
        assert_eq!((audience.first, audience.last, audience.delta), (70, 100, 30));
        let coverage = trend.criteria.iter().find(|c| c.id == CriterionId::ProductCoverage).unwrap();
        assert_eq!(coverage.delta, 15);
        assert!(super::trend(&[]).is_none());
    }
}
