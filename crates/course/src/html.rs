//! A graded report as one printable HTML page: Chinese labels, inline CSS, no scripts.

use std::fmt::Write;

use crate::grade::{Evidence, GradedReport};

pub(crate) use anchordesk_text::escape_html as escape;

fn clock(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:2em;color:#222}\
h1{font-size:1.4em;margin-bottom:.2em}h2{font-size:1.1em;margin-top:1.4em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}.ok{color:#176b2c}.bad{color:#a11}.total{font-size:2em;font-weight:bold}\
.meta td{border:none;padding:.1em .8em .1em 0}@media print{body{margin:0}h2{break-after:avoid}table{break-inside:avoid}}";

/// Renders the report as a self-contained HTML page (no scripts, no external resources);
/// every text from the report is escaped.
pub fn report_html(report: &GradedReport) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>演练成绩单 · {}</title><style>{STYLE}</style></head><body>\n",
        escape(&report.student.name)
    );
    let _ = write!(
        html,
        "<h1>直播演练成绩单</h1>\n<table class=\"meta\">\
         <tr><td>学生</td><td>{} （学号 {}）</td></tr>\
         <tr><td>场景</td><td>{} （{} 第 {} 版）</td></tr>\
         <tr><td>评分标准</td><td>{} 第 {} 版</td></tr>\
         <tr><td>开播</td><td>{}</td></tr><tr><td>下播</td><td>{}</td></tr>\
         <tr><td>时长</td><td>{}</td></tr></table>\n",
        escape(&report.student.name),
        escape(&report.student.id),
        escape(&report.scenario_title_zh),
        escape(&report.scenario_id),
        report.scenario_version,
        escape(&report.rubric_id),
        report.rubric_version,
        escape(&report.started_at),
        escape(&report.ended_at),
        clock(report.duration_seconds * 1000),
    );
    let _ = writeln!(html, "<p>总分 <span class=\"total\">{:.1}</span> / 100</p>", report.total);
    html.push_str("<h2>各项得分</h2>\n<table><tr><th>评分项</th><th>权重</th><th>得分</th><th>折算</th></tr>\n");
    for criterion in &report.criteria {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}%</td><td>{}</td><td>{:.1}</td></tr>",
            escape(&criterion.title_zh),
            criterion.weight,
            criterion.score,
            criterion.points
        );
    }
    html.push_str("</table>\n");
    if !report.notes.is_empty() {
        html.push_str("<h2>评分说明</h2>\n");
        evidence_table(&mut html, &report.notes);
    }
    for criterion in &report.criteria {
        let _ = writeln!(html, "<h2>{} · {} 分</h2>", escape(&criterion.title_zh), criterion.score);
        evidence_table(&mut html, &criterion.evidence);
    }
    html.push_str("<h2>违规用语汇总</h2>\n");
    if report.mistakes.is_empty() {
        html.push_str("<p class=\"ok\">没有违规用语。</p>\n");
    } else {
        html.push_str("<table><tr><th>规则</th><th>次数</th><th>法规</th></tr>\n");
        for mistake in &report.mistakes {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&mistake.rule_id),
                mistake.count,
                escape(mistake.law.as_deref().unwrap_or("—"))
            );
        }
        html.push_str("</table>\n");
    }
    if !report.missed_events.is_empty() {
        let missed: Vec<String> = report.missed_events.iter().map(|id| escape(id)).collect();
        let _ = writeln!(html, "<p class=\"bad\">未处理的风险事件：{}</p>", missed.join("、"));
    }
    html.push_str("</body></html>\n");
    html
}

fn evidence_table(html: &mut String, evidence: &[Evidence]) {
    html.push_str("<table><tr><th></th><th>时间</th><th>依据</th></tr>\n");
    for line in evidence {
        let (class, mark) = if line.ok { ("ok", "✓") } else { ("bad", "✗") };
        let _ = writeln!(
            html,
            "<tr><td class=\"{class}\">{mark}</td><td>{}</td><td>{}</td></tr>",
            line.at_ms.map(clock).unwrap_or_default(),
            escape(&line.text_zh)
        );
    }
    html.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Response, Rubric, Student, embedded_scenarios, grade, model_attempt};

    #[test]
    fn the_page_has_chinese_labels_the_evidence_and_no_script_and_escapes_text() {
        let scenario = embedded_scenarios().into_iter().find(|s| s.id == "orange-organic").unwrap();
        let student = Student { id: "2024<01>".into(), name: "张三 & <script>alert(1)</script>".into() };
        let mut facts = model_attempt(&scenario, student, "2026-03-02T09:00:00+08:00", "2026-03-02T09:10:00+08:00");
        facts.events[0].responses =
            vec![Response { at_ms: 95_000, text: "都是有机的\"<b>\"".into(), lint_error_count: 0 }];
        let report = grade(&scenario, &Rubric::default_rubric(), &facts).unwrap();
        let html = report_html(&report);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("直播演练成绩单") && html.contains("风险事件处置") && html.contains("总分"));
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("张三 &amp; &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("2024&lt;01&gt;"));
        assert!(html.contains("都是有机的&quot;&lt;b&gt;&quot;"));
        assert!(html.contains("<td>1:35</td>"), "the missed reply's time is shown");
        assert!(html.contains("未处理的风险事件：organic-question"));
        assert!(!html.contains("http://") && !html.contains("https://"), "no external resources");
    }
}
