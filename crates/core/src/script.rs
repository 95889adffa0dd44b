//! The run-of-show as Markdown (to print, share or edit elsewhere) and back.
//!
//! The format, one segment per `##` heading:
//!
//! ```text
//! # 信丰县助农专场
//! ## 开场：主播介绍今天的公益专场（5 分钟，主播）
//! - 今天是本县特产助农专场
//! - 提示：展示今天的所有产品
//! ## [SAMPLE-ORANGE-5KG] 赣南脐橙 5kg 装（8 分钟）
//! - 果径 75–80mm
//! ```
//!
//! A heading that starts with `[SKU]` is the product segment of that line-up item; lines
//! starting with `提示：` or `cue:` are cues; other `-` lines are talking points.

use crate::plan::{Person, RunOfShow, SegmentKind};
use crate::model::Broadcast;
use std::fmt::Write as _;

/// The run-of-show as Markdown in the format above.
pub fn to_markdown(broadcast: &Broadcast, show: &RunOfShow) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", broadcast.draft.title);
    let _ = writeln!(out, "<!-- 开播 {} · 平台 {} · 计划 {} 分钟 / 目标 {} 分钟 -->\n", broadcast.draft.planned_start, broadcast.draft.platform, show.planned_minutes, show.target_minutes);
    for view in &show.segments {
        let segment = &view.segment.draft;
        let person = person_zh(segment.person);
        match &view.product {
            Some(product) => {
                let _ = writeln!(out, "## [{}] {}（{} 分钟，{}）", product.sku, segment.title, view.minutes, person);
                let _ = writeln!(out, "<!-- 直播价 {} · 日常价 {} · 库存 {} -->", product.live_price, product.everyday_price, product.stock);
            }
            None => {
                let _ = writeln!(out, "## {}（{} 分钟，{}）", segment.title, view.minutes, person);
            }
        }
        for line in segment.talking_points.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let _ = writeln!(out, "- {line}");
        }
        for cue in segment.cues.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let _ = writeln!(out, "- 提示：{cue}");
        }
        out.push('\n');
    }
    out
}

/// The run-of-show as a printable HTML page (no scripts).
pub fn to_html(broadcast: &Broadcast, show: &RunOfShow) -> String {
    use crate::html::escape;
    let mut html = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{0}</title><style>\
         body{{font-family:'Noto Sans CJK SC',sans-serif;margin:28px;color:#1f2328}}h2{{margin:18px 0 4px;font-size:17px}}\
         .meta{{color:#59636e}}.seg{{border-left:4px solid #ff922b;padding:4px 12px;margin:10px 0;page-break-inside:avoid}}\
         .cue{{color:#1864ab}}@media print{{body{{margin:12mm}}}}</style></head><body><h1>{0}</h1>\
         <p class=\"meta\">开播 {1} · 平台 {2} · 计划 {3} 分钟 / 目标 {4} 分钟</p>",
        escape(&broadcast.draft.title),
        escape(&broadcast.draft.planned_start),
        escape(&broadcast.draft.platform),
        show.planned_minutes,
        show.target_minutes
    );
    for (idx, view) in show.segments.iter().enumerate() {
        let segment = &view.segment.draft;
        let _ = write!(
            html,
            "<div class=\"seg\"><h2>{}. {}</h2><p class=\"meta\">第 {} 分钟起 · {} 分钟 · {}",
            idx + 1,
            escape(&segment.title),
            view.starts_at_minute,
            view.minutes,
            person_zh(segment.person)
        );
        if let Some(product) = &view.product {
            let _ = write!(html, " · 直播价 {} · 库存 {}", product.live_price, product.stock);
        }
        html.push_str("</p><ul>");
        for line in segment.talking_points.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let _ = write!(html, "<li>{}</li>", escape(line));
        }
        for cue in segment.cues.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let _ = write!(html, "<li class=\"cue\">提示：{}</li>", escape(cue));
        }
        html.push_str("</ul></div>");
    }
    html.push_str("</body></html>\n");
    html
}

fn person_zh(person: Person) -> &'static str {
    match person {
        Person::Anchor => "主播",
        Person::Assistant => "助播",
        Person::Guest => "嘉宾",
        Person::FieldControl => "场控",
    }
}

/// One segment read from a Markdown script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedSegment {
    /// 1-based line of the heading.
    pub line: usize,
    /// Set for product segments: the SKU in `[brackets]`.
    pub sku: Option<String>,
    pub kind: SegmentKind,
    pub title: String,
    pub minutes: Option<i32>,
    pub person: Person,
    pub talking_points: String,
    pub cues: String,
}

/// A line of a script that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScriptError {
    pub line: usize,
    pub message: String,
}

/// Reads a Markdown script (the format of [`to_markdown`], also hand-written or exported
/// from a word processor as text). Every problem is reported with its line.
pub fn parse_markdown(text: &str) -> Result<Vec<ImportedSegment>, Vec<ScriptError>> {
    let mut segments: Vec<ImportedSegment> = Vec::new();
    let mut errors = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with("<!--") || (line.starts_with("# ") && !line.starts_with("## ")) {
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            match parse_heading(heading.trim()) {
                Ok((sku, title, minutes, person)) => segments.push(ImportedSegment {
                    line: line_no,
                    kind: if sku.is_some() { SegmentKind::Product } else { kind_of(&title) },
                    sku,
                    title,
                    minutes,
                    person,
                    talking_points: String::new(),
                    cues: String::new(),
                }),
                Err(message) => errors.push(ScriptError { line: line_no, message }),
            }
            continue;
        }
        let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")).or(Some(line)) else { continue };
        let Some(segment) = segments.last_mut() else {
            errors.push(ScriptError { line: line_no, message: "text before the first `## ` segment heading".into() });
            continue;
        };
        let cue = ["提示：", "提示:", "提示 cue:", "cue:", "Cue:"].iter().find_map(|p| item.strip_prefix(p));
        let (target, value) = match cue {
            Some(cue) => (&mut segment.cues, cue.trim()),
            None => (&mut segment.talking_points, item.trim()),
        };
        if !target.is_empty() {
            target.push('\n');
        }
        target.push_str(value);
    }
    if segments.is_empty() && errors.is_empty() {
        errors.push(ScriptError { line: 1, message: "no `## ` segment heading found".into() });
    }
    if errors.is_empty() { Ok(segments) } else { Err(errors) }
}

/// `[SKU] 标题（8 分钟，主播）` → parts. Minutes and person are optional.
fn parse_heading(heading: &str) -> Result<(Option<String>, String, Option<i32>, Person), String> {
    let (sku, rest) = match heading.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((sku, rest)) if !sku.trim().is_empty() => (Some(sku.trim().to_string()), rest.trim()),
            _ => return Err("a `[SKU]` heading needs a closing `]` and a SKU".into()),
        },
        None => (None, heading),
    };
    let (title, details) = match rest.rfind(['（', '(']) {
        Some(open) if rest.ends_with(['）', ')']) => {
            let inner_start = open + rest[open..].chars().next().map(char::len_utf8).unwrap_or(1);
            let inner_end = rest.len() - rest.chars().last().map(char::len_utf8).unwrap_or(1);
            (rest[..open].trim(), Some(&rest[inner_start..inner_end]))
        }
        _ => (rest.trim(), None),
    };
    if title.is_empty() {
        return Err("the segment has no title".into());
    }
    let mut minutes = None;
    let mut person = Person::Anchor;
    for part in details.unwrap_or("").split(['，', ',']).map(str::trim).filter(|p| !p.is_empty()) {
        let number: String = part.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
        if !number.is_empty() && (part.contains("分钟") || part.contains("min")) {
            match number.parse::<i32>() {
                Ok(n) if n >= 0 => minutes = Some(n),
                _ => return Err(format!("minutes {number:?} must be a whole number of 0 or more")),
            }
        } else {
            person = match part {
                "主播" | "anchor" => Person::Anchor,
                "助播" | "assistant" => Person::Assistant,
                "嘉宾" | "guest" => Person::Guest,
                "场控" | "field control" | "fieldControl" => Person::FieldControl,
                other => return Err(format!("{other:?} is neither minutes (如 8 分钟) nor a person (主播/助播/嘉宾/场控)")),
            };
        }
    }
    Ok((sku, title.to_string(), minutes, person))
}

fn kind_of(title: &str) -> SegmentKind {
    let starts = |words: &[&str]| words.iter().any(|w| title.starts_with(w));
    if starts(&["开场", "暖场", "Opening"]) {
        SegmentKind::Opening
    } else if starts(&["收尾", "结束", "Closing"]) {
        SegmentKind::Closing
    } else if starts(&["答疑", "问答", "Q&A"]) {
        SegmentKind::Qa
    } else if starts(&["福利", "抽奖", "秒杀", "Deal"]) {
        SegmentKind::Deal
    } else if starts(&["故事", "产地", "Story"]) {
        SegmentKind::Story
    } else {
        SegmentKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_points_and_cues_are_read() {
        let text = "# 专场\n\n## 开场：介绍今天的产品（5 分钟，主播）\n- 欢迎\n- 提示：展示产品\n## [SKU-1] 赣南脐橙（8 分钟）\n- 果径 75mm\n## 收尾\n";
        let segments = parse_markdown(text).unwrap();
        assert_eq!(segments.len(), 3);
        assert_eq!(segments[0].kind, SegmentKind::Opening);
        assert_eq!(segments[0].minutes, Some(5));
        assert_eq!(segments[0].talking_points, "欢迎");
        assert_eq!(segments[0].cues, "展示产品");
        assert_eq!(segments[1].sku.as_deref(), Some("SKU-1"));
        assert_eq!(segments[1].kind, SegmentKind::Product);
        assert_eq!(segments[2].kind, SegmentKind::Closing);
        assert_eq!(segments[2].minutes, None);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let text = "开场白没有标题\n## 答疑（-3 分钟）\n## [未闭合 脐橙\n## 福利（5 分钟，主持人）\n";
        let errors = parse_markdown(text).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4]);
        assert!(errors[1].message.contains("-3"));
    }
}
