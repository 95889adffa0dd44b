//! Turning what people type (a form, a spreadsheet row) into valid drafts.
//!
//! The UI sends its text fields as they are, and a CSV row arrives as text too, so both go
//! through the same parsers here and get the same [`FieldError`]s.

use crate::model::{BroadcastDraft, Certificate, LineupRole, LineupTerms, ProductDraft, Storage};
use crate::money::{Fen, MoneyParseError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why one field was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum FieldErrorCode {
    Required,
    NotANumber,
    TooPrecise,
    Negative,
    NotAnInteger,
    TooLarge,
    TooLong,
    BadDate,
    BadDateTime,
    DuplicateSku,
    UnknownValue,
    /// The name is taken (by a built-in, or by another entry).
    Taken,
    /// No file or folder is at this path.
    Missing,
}

/// One refused field: which, why, and the value that was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldError {
    /// The field's name as the UI and the bindings know it (`price`, `stock`, ...).
    pub field: String,
    pub code: FieldErrorCode,
    pub value: String,
}

impl FieldError {
    pub fn new(field: &str, code: FieldErrorCode, value: impl Into<String>) -> FieldError {
        FieldError { field: field.to_string(), code, value: value.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.code {
            FieldErrorCode::Required => "is required",
            FieldErrorCode::NotANumber => "is not a number",
            FieldErrorCode::TooPrecise => "has more than two decimal places",
            FieldErrorCode::Negative => "must not be negative",
            FieldErrorCode::NotAnInteger => "is not a whole number",
            FieldErrorCode::TooLarge => "is too large",
            FieldErrorCode::TooLong => "is too long",
            FieldErrorCode::BadDate => "is not a date like 2026-12-31",
            FieldErrorCode::BadDateTime => "is not a date and time like 2026-12-01T19:30",
            FieldErrorCode::DuplicateSku => "is already used by another product",
            FieldErrorCode::UnknownValue => "is not one of the known values",
            FieldErrorCode::Taken => "is already taken",
            FieldErrorCode::Missing => "names no file or folder",
        };
        write!(f, "{} {:?} {}", self.field, self.value, what)
    }
}

/// Longest text a name or title may have, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Longest free text (selling points, coupon), in characters.
pub const MAX_TEXT_CHARS: usize = 4000;

/// A product form as the UI holds it: numbers still as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProductForm {
    pub sku: String,
    pub name: String,
    pub origin: String,
    pub spec: String,
    /// Yuan, as typed: `19.90`.
    pub price: String,
    pub stock: String,
    /// Days, as typed; empty for none.
    pub shelf_life_days: String,
    pub storage: Storage,
    pub cold_chain: bool,
    pub selling_points: String,
    #[serde(default)]
    pub after_sales: String,
    pub certificates: Vec<Certificate>,
    /// 类目, as chosen or typed (普通食品, health-food …); empty for not set.
    #[serde(default)]
    pub category: String,
    /// For a 保健食品: its registered functions, one per line.
    #[serde(default)]
    pub registered_functions: String,
}

impl ProductForm {
    /// The form of an existing draft, for editing.
    pub fn from_draft(draft: &ProductDraft) -> ProductForm {
        ProductForm {
            sku: draft.sku.clone(),
            name: draft.name.clone(),
            origin: draft.origin.clone(),
            spec: draft.spec.clone(),
            price: draft.price.to_yuan_string(),
            stock: draft.stock.to_string(),
            shelf_life_days: draft.shelf_life_days.map(|d| d.to_string()).unwrap_or_default(),
            storage: draft.storage,
            cold_chain: draft.cold_chain,
            selling_points: draft.selling_points.clone(),
            after_sales: draft.after_sales.clone(),
            certificates: draft.certificates.clone(),
            category: draft.category.map(|c| c.as_str().to_string()).unwrap_or_default(),
            registered_functions: draft.registered_functions.clone(),
        }
    }

    /// Parses and checks every field; returns all problems at once, not just the first.
    pub fn parse(&self) -> Result<ProductDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let sku = required_text(&mut errors, "sku", &self.sku, MAX_NAME_CHARS);
        let name = required_text(&mut errors, "name", &self.name, MAX_NAME_CHARS);
        let origin = optional_text(&mut errors, "origin", &self.origin, MAX_NAME_CHARS);
        let spec = optional_text(&mut errors, "spec", &self.spec, MAX_NAME_CHARS);
        let price = money(&mut errors, "price", &self.price);
        let stock = count(&mut errors, "stock", &self.stock, true).unwrap_or(0);
        let shelf_life_days = count(&mut errors, "shelfLifeDays", &self.shelf_life_days, false);
        let selling_points = optional_text(&mut errors, "sellingPoints", &self.selling_points, MAX_TEXT_CHARS);
        let after_sales = optional_text(&mut errors, "afterSales", &self.after_sales, MAX_TEXT_CHARS);
        let category = match self.category.trim() {
            "" => None,
            typed => match anchordesk_claims::ProductCategory::parse(typed) {
                Some(category) => Some(category),
                None => {
                    errors.push(FieldError::new("category", FieldErrorCode::UnknownValue, typed));
                    None
                }
            },
        };
        let registered_functions =
            optional_text(&mut errors, "registeredFunctions", &self.registered_functions, MAX_TEXT_CHARS);
        for (idx, certificate) in self.certificates.iter().enumerate() {
            if let Some(date) = &certificate.valid_until
                && !is_date(date)
            {
                errors.push(FieldError::new(&format!("certificates.{idx}.validUntil"), FieldErrorCode::BadDate, date));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ProductDraft {
            sku,
            name,
            origin,
            spec,
            price,
            stock,
            shelf_life_days,
            storage: self.storage,
            cold_chain: self.cold_chain,
            selling_points,
            after_sales,
            category,
            registered_functions,
            certificates: self
                .certificates
                .iter()
                .map(|c| Certificate {
                    kind: c.kind,
                    number: c.number.trim().to_string(),
                    issuer: c.issuer.trim().to_string(),
                    valid_until: c.valid_until.as_ref().map(|d| d.trim().to_string()).filter(|d| !d.is_empty()),
                })
                .collect(),
        })
    }
}

/// A line-up item's terms as the UI holds them: numbers still as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LineupTermsForm {
    pub live_price: String,
    pub coupon: String,
    pub stock: String,
    pub planned_minutes: String,
    pub role: LineupRole,
}

impl LineupTermsForm {
    /// Parses and checks every field.
    pub fn parse(&self) -> Result<LineupTerms, Vec<FieldError>> {
        let mut errors = Vec::new();
        let live_price = money(&mut errors, "livePrice", &self.live_price);
        let coupon = optional_text(&mut errors, "coupon", &self.coupon, MAX_NAME_CHARS);
        let stock = count(&mut errors, "stock", &self.stock, true).unwrap_or(0);
        let planned_minutes = count(&mut errors, "plannedMinutes", &self.planned_minutes, true).unwrap_or(0);
        if planned_minutes > 24 * 60 {
            errors.push(FieldError::new("plannedMinutes", FieldErrorCode::TooLarge, &self.planned_minutes));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(LineupTerms { live_price, coupon, stock, planned_minutes, role: self.role })
    }
}

impl BroadcastDraft {
    /// Trims and checks the fields.
    pub fn validated(&self) -> Result<BroadcastDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = required_text(&mut errors, "title", &self.title, MAX_NAME_CHARS);
        let planned_start = self.planned_start.trim().to_string();
        if planned_start.is_empty() {
            errors.push(FieldError::new("plannedStart", FieldErrorCode::Required, ""));
        } else if !is_date_time(&planned_start) {
            errors.push(FieldError::new("plannedStart", FieldErrorCode::BadDateTime, &planned_start));
        }
        let platform = required_text(&mut errors, "platform", &self.platform, MAX_NAME_CHARS);
        if self.target_minutes < 0 {
            errors.push(FieldError::new("targetMinutes", FieldErrorCode::Negative, self.target_minutes.to_string()));
        }
        let after_sales_contact = optional_text(&mut errors, "afterSalesContact", &self.after_sales_contact, MAX_NAME_CHARS);
        let scene = optional_text(&mut errors, "scene", &self.scene, MAX_NAME_CHARS);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(BroadcastDraft {
            title,
            planned_start,
            platform,
            anchor_id: self.anchor_id,
            target_minutes: self.target_minutes,
            after_sales_contact,
            scene,
        })
    }
}

fn required_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(FieldError::new(field, FieldErrorCode::Required, value));
    } else if trimmed.chars().count() > max {
        errors.push(FieldError::new(field, FieldErrorCode::TooLong, truncate(trimmed)));
    }
    trimmed.to_string()
}

fn optional_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) -> String {
    let trimmed = value.trim();
    if trimmed.chars().count() > max {
        errors.push(FieldError::new(field, FieldErrorCode::TooLong, truncate(trimmed)));
    }
    trimmed.to_string()
}

fn truncate(text: &str) -> String {
    text.chars().take(20).collect::<String>() + "…"
}

/// Parses a yuan amount into fen, recording a field error on failure.
pub fn money(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Fen {
    match Fen::parse_yuan(value) {
        Ok(fen) => fen,
        Err(err) => {
            let code = match err {
                MoneyParseError::Empty(_) => FieldErrorCode::Required,
                MoneyParseError::NotANumber(_) => FieldErrorCode::NotANumber,
                MoneyParseError::TooPrecise(_) => FieldErrorCode::TooPrecise,
                MoneyParseError::Negative(_) => FieldErrorCode::Negative,
                MoneyParseError::TooLarge(_) => FieldErrorCode::TooLarge,
            };
            errors.push(FieldError::new(field, code, value));
            Fen(0)
        }
    }
}

/// Parses a whole, non-negative count. `None` for empty text, and after recording a field
/// error (an empty text is an error when `required`).
pub fn count(errors: &mut Vec<FieldError>, field: &str, value: &str, required: bool) -> Option<i32> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        if required {
            errors.push(FieldError::new(field, FieldErrorCode::Required, value));
        }
        return None;
    }
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        let looks_decimal = digits.parse::<f64>().is_ok();
        let code = if looks_decimal { FieldErrorCode::NotAnInteger } else { FieldErrorCode::NotANumber };
        errors.push(FieldError::new(field, code, value));
        return None;
    }
    if negative {
        errors.push(FieldError::new(field, FieldErrorCode::Negative, value));
        return None;
    }
    match digits.parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(field, FieldErrorCode::TooLarge, value));
            None
        }
    }
}

/// `YYYY-MM-DD`, a real calendar date.
pub fn is_date(text: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), format).is_ok()
}

/// `YYYY-MM-DDTHH:MM` (seconds optional), a real calendar date and time.
pub fn is_date_time(text: &str) -> bool {
    let short = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let long = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, short).is_ok() || time::PrimitiveDateTime::parse(text, long).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ProductForm {
        ProductForm {
            sku: "NO-1".into(),
            name: "赣南脐橙".into(),
            price: "39.90".into(),
            stock: "120".into(),
            ..ProductForm::default()
        }
    }

    fn codes(result: Result<ProductDraft, Vec<FieldError>>) -> Vec<(String, FieldErrorCode)> {
        result.unwrap_err().into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn a_good_form_parses() {
        let draft = form().parse().unwrap();
        assert_eq!(draft.price, Fen(3990));
        assert_eq!(draft.stock, 120);
        assert_eq!(draft.shelf_life_days, None);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = ProductForm {
            name: "  ".into(),
            price: "-5".into(),
            stock: "1.5".into(),
            shelf_life_days: "abc".into(),
            ..form()
        };
        assert_eq!(
            codes(bad.parse()),
            vec![
                ("name".into(), FieldErrorCode::Required),
                ("price".into(), FieldErrorCode::Negative),
                ("stock".into(), FieldErrorCode::NotAnInteger),
                ("shelfLifeDays".into(), FieldErrorCode::NotANumber),
            ]
        );
    }

    #[test]
    fn certificate_dates_must_be_real() {
        let bad = ProductForm {
            certificates: vec![Certificate {
                kind: crate::model::CertificateKind::Organic,
                number: "X".into(),
                issuer: "Y".into(),
                valid_until: Some("2026-02-30".into()),
            }],
            ..form()
        };
        assert_eq!(codes(bad.parse()), vec![("certificates.0.validUntil".into(), FieldErrorCode::BadDate)]);
    }

    #[test]
    fn lineup_terms_refuse_negative_minutes_and_bad_price() {
        let terms = LineupTermsForm {
            live_price: "九块九".into(),
            stock: "10".into(),
            planned_minutes: "-3".into(),
            ..LineupTermsForm::default()
        };
        let errors: Vec<_> = terms.parse().unwrap_err().into_iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            errors,
            vec![("livePrice".into(), FieldErrorCode::NotANumber), ("plannedMinutes".into(), FieldErrorCode::Negative)]
        );
    }

    #[test]
    fn broadcast_needs_title_and_a_real_start() {
        let draft = BroadcastDraft {
            title: "".into(),
            planned_start: "2026-13-01T19:30".into(),
            platform: "sandbox".into(),
            anchor_id: None,
            ..BroadcastDraft::default()
        };
        let errors: Vec<_> = draft.validated().unwrap_err().into_iter().map(|e| e.code).collect();
        assert_eq!(errors, vec![FieldErrorCode::Required, FieldErrorCode::BadDateTime]);
        assert!(is_date_time("2026-12-01T19:30"));
    }
}
