//! Money as integer fen (分): 1 yuan = 100 fen.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in fen (分). Never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Fen(#[cfg_attr(feature = "specta", specta(type = i32))] pub i64);

/// Why a text could not be read as an amount of yuan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyParseError {
    #[error("{0:?} is empty")]
    Empty(String),
    #[error("{0:?} is not a number")]
    NotANumber(String),
    #[error("{0:?} has more than two decimal places")]
    TooPrecise(String),
    #[error("{0:?} is negative")]
    Negative(String),
    #[error("{0:?} is too large")]
    TooLarge(String),
}

impl Fen {
    /// Parses a yuan amount as people type it: `19.9`, `19.90`, `¥19.90`, `1,299`, `19.90元`.
    ///
    /// Errors on empty text, more than two decimals, a negative sign or a value that is not
    /// a number. Exact: no float is involved.
    pub fn parse_yuan(text: &str) -> Result<Fen, MoneyParseError> {
        let original = text.to_string();
        let cleaned: String = text
            .trim()
            .trim_start_matches(['¥', '￥'])
            .trim_end_matches('元')
            .chars()
            .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
            .collect();
        if cleaned.is_empty() {
            return Err(MoneyParseError::Empty(original));
        }
        if cleaned.starts_with('-') {
            return Err(MoneyParseError::Negative(original));
        }
        let (int_part, frac_part) = match cleaned.split_once('.') {
            Some((i, f)) => (i, f),
            None => (cleaned.as_str(), ""),
        };
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !digits(int_part) || !(frac_part.is_empty() || digits(frac_part)) {
            return Err(MoneyParseError::NotANumber(original));
        }
        if frac_part.len() > 2 {
            return Err(MoneyParseError::TooPrecise(original));
        }
        let yuan: i64 = int_part.parse().map_err(|_| MoneyParseError::TooLarge(original.clone()))?;
        let mut frac: i64 = if frac_part.is_empty() { 0 } else { frac_part.parse().unwrap_or(0) };
        if frac_part.len() == 1 {
            frac *= 10;
        }
        yuan.checked_mul(100)
            .and_then(|f| f.checked_add(frac))
            .map(Fen)
            .ok_or(MoneyParseError::TooLarge(original))
    }

    /// The amount as yuan text with two decimals and no symbol, for CSV export: `19.90`.
    pub fn to_yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.to_yuan_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_type() {
        let cases = [
            ("19.9", 1990),
            ("19.90", 1990),
            ("¥19.90", 1990),
            ("￥ 1,299", 129_900),
            ("29元", 2900),
            ("0.05", 5),
            ("7", 700),
        ];
        for (text, fen) in cases {
            assert_eq!(Fen::parse_yuan(text), Ok(Fen(fen)), "{text}");
        }
    }

    #[test]
    fn refuses_bad_amounts() {
        assert!(matches!(Fen::parse_yuan(""), Err(MoneyParseError::Empty(_))));
        assert!(matches!(Fen::parse_yuan("abc"), Err(MoneyParseError::NotANumber(_))));
        assert!(matches!(Fen::parse_yuan("1.2.3"), Err(MoneyParseError::NotANumber(_))));
        assert!(matches!(Fen::parse_yuan("-3"), Err(MoneyParseError::Negative(_))));
        assert!(matches!(Fen::parse_yuan("1.999"), Err(MoneyParseError::TooPrecise(_))));
        assert!(matches!(Fen::parse_yuan("99999999999999999999"), Err(MoneyParseError::TooLarge(_))));
    }

    #[test]
    fn formats_back() {
        assert_eq!(Fen(1990).to_yuan_string(), "19.90");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen::parse_yuan(&Fen(123_456).to_yuan_string()), Ok(Fen(123_456)));
    }
}
