//! Signed report files: what a student hands in and a teacher verifies.
//!
//! The payload (graded report and the facts it was graded from) is signed with Ed25519 over
//! its canonical JSON bytes: object keys sorted, no whitespace, so re-indenting a file does
//! not break it but changing any value does. `payloadSha256` lets `verify` tell an edited
//! payload from a bad signature.
//!
//! A signature proves the file has not changed since a key signed it, not whose key it was:
//! a student could edit a report and re-sign it with a fresh key. The class table therefore
//! pins the first public key it sees per student (trust on first use) and flags a change
//! (`RowStatus::KeyChanged`). Keeping the key (in the OS keyring) is the app's job; this
//! crate takes a `SigningKey`.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::facts::AttemptFacts;
use crate::grade::GradedReport;

/// The value of `format` in a signed report file.
pub const REPORT_FORMAT: &str = "anchordesk-course-report/1";

/// A signed report file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedReport {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// A [`ReportPayload`] as JSON.
    pub payload: serde_json::Value,
    /// SHA-256 (hex) of the payload's canonical JSON bytes.
    pub payload_sha256: String,
    /// The Ed25519 public key (hex, 32 bytes).
    pub public_key: String,
    /// The Ed25519 signature (hex, 64 bytes) over the payload's canonical JSON bytes.
    pub signature: String,
}

/// What is signed: the graded report and the facts it was graded from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReportPayload {
    /// The graded report.
    pub report: GradedReport,
    /// The measured facts.
    pub facts: AttemptFacts,
}

/// A report whose signature checked out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VerifiedReport {
    /// The graded report.
    pub report: GradedReport,
    /// The measured facts.
    pub facts: AttemptFacts,
    /// The key that signed it (hex).
    pub public_key: String,
}

/// Why a report file was not accepted. Each message says what the teacher should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not JSON, or not a signed report's shape.
    #[error("the file is not a readable report ({0}); ask the student to export it again")]
    Unreadable(String),
    /// JSON of some other kind or version.
    #[error("the file is not an AnchorDesk course report (format {0:?}); ask the student for the exported report file")]
    WrongFormat(String),
    /// The public key or signature field is not valid hex of the right length.
    #[error("the key or signature in the file is damaged ({0}); ask the student to export it again")]
    Damaged(String),
    /// The payload no longer matches what was signed.
    #[error("the report was edited after it was signed; do not accept it, ask the student to export it again from the app")]
    Edited,
    /// The payload's digest matches but the signature does not.
    #[error("the signature does not match the report (forged or altered together with its digest); do not accept it")]
    BadSignature,
    /// Signed, but the payload is not a report and its facts, or they disagree.
    #[error("the signed content is inconsistent ({0}); ask the student to export it again")]
    Inconsistent(String),
}

impl VerifyError {
    /// A short Chinese sentence for the teacher.
    pub fn message_zh(&self) -> &'static str {
        match self {
            VerifyError::Unreadable(_) => "文件无法读取，请让学生重新导出成绩单",
            VerifyError::WrongFormat(_) => "不是主播工作台的课程成绩单文件",
            VerifyError::Damaged(_) => "文件中的密钥或签名已损坏，请让学生重新导出",
            VerifyError::Edited => "成绩单在签名后被修改过，请勿采信",
            VerifyError::BadSignature => "签名与成绩单不符（伪造或被一并篡改），请勿采信",
            VerifyError::Inconsistent(_) => "签名内容不完整或前后不一致，请让学生重新导出",
        }
    }

    /// Whether the file was readable but altered: edited, forged or damaged.
    pub fn is_tampering(&self) -> bool {
        matches!(self, VerifyError::Edited | VerifyError::BadSignature | VerifyError::Damaged(_))
    }
}

/// The canonical JSON bytes of a value: object keys sorted by their UTF-8 bytes, no
/// whitespace, strings and numbers as serde_json writes them.
pub fn canonical_json(value: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (idx, item) in items.iter().enumerate() {
                if idx > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (idx, (key, item)) in entries.into_iter().enumerate() {
                if idx > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).expect("writing a string to a Vec cannot fail");
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("writing a scalar to a Vec cannot fail"),
    }
}

/// Signs a graded report together with its facts.
pub fn sign(report: &GradedReport, facts: &AttemptFacts, key: &SigningKey) -> SignedReport {
    let payload = ReportPayload { report: report.clone(), facts: facts.clone() };
    let payload = serde_json::to_value(&payload).expect("report types serialize to JSON (no non-string map keys)");
    let bytes = canonical_json(&payload);
    let signature = key.sign(&bytes);
    SignedReport {
        format: REPORT_FORMAT.to_string(),
        payload,
        payload_sha256: hex::encode(Sha256::digest(&bytes)),
        public_key: hex::encode(key.verifying_key().to_bytes()),
        signature: hex::encode(signature.to_bytes()),
    }
}

impl SignedReport {
    /// The file's bytes: pretty JSON, UTF-8.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a signed report serializes to JSON");
        bytes.push(b'\n');
        bytes
    }
}

/// The fingerprint a student reads from their desk and the class roster records: the first
/// 16 hex digits of the SHA-256 of the public key, in groups of four (`3F2A-91C0-5B7E-D406`).
/// 64 bits: enough that no student can make a second key with a classmate's fingerprint.
pub fn key_fingerprint(public_key_hex: &str) -> String {
    let key = hex::decode(public_key_hex).unwrap_or_else(|_| public_key_hex.as_bytes().to_vec());
    let digest = hex::encode_upper(Sha256::digest(&key));
    digest.as_bytes()[..16].chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// The fingerprint of a signing key's public half: what a student's desk shows and the
/// roster records.
pub fn signing_key_fingerprint(key: &SigningKey) -> String {
    key_fingerprint(&hex::encode(key.verifying_key().to_bytes()))
}

/// A fingerprint as typed (any case, with spaces or dashes) in the form [`key_fingerprint`]
/// gives, or `None` when it is not 16 hex digits.
pub fn normalize_fingerprint(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-' && *c != '－' && *c != ':').collect::<String>().to_uppercase();
    (digits.len() == 16 && digits.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| digits.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-"))
}

/// Reads and verifies a signed report file.
pub fn verify(bytes: &[u8]) -> Result<VerifiedReport, VerifyError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| VerifyError::Unreadable(err.to_string()))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(REPORT_FORMAT) => {}
        Some(other) => return Err(VerifyError::WrongFormat(other.to_string())),
        None => return Err(VerifyError::WrongFormat("none".to_string())),
    }
    let signed: SignedReport =
        serde_json::from_value(value).map_err(|err| VerifyError::Unreadable(err.to_string()))?;
    let key_bytes: [u8; 32] = hex::decode(&signed.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| VerifyError::Damaged("public key is not 64 hex digits".into()))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| VerifyError::Damaged("public key is not a valid Ed25519 key".into()))?;
    let signature_bytes: [u8; 64] = hex::decode(&signed.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| VerifyError::Damaged("signature is not 128 hex digits".into()))?;
    let signature = Signature::from_bytes(&signature_bytes);
    let canonical = canonical_json(&signed.payload);
    if hex::encode(Sha256::digest(&canonical)) != signed.payload_sha256.to_ascii_lowercase() {
        return Err(VerifyError::Edited);
    }
    key.verify(&canonical, &signature).map_err(|_| VerifyError::BadSignature)?;
    let payload: ReportPayload =
        serde_json::from_value(signed.payload).map_err(|err| VerifyError::Inconsistent(err.to_string()))?;
    if payload.report.student != payload.facts.student {
        return Err(VerifyError::Inconsistent("the report and its facts name different students".into()));
    }
    if payload.report.scenario_id != payload.facts.scenario_id {
        return Err(VerifyError::Inconsistent("the report and its facts name different scenarios".into()));
    }
    Ok(VerifiedReport { report: payload.report, facts: payload.facts, public_key: signed.public_key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rubric, Student, embedded_scenarios, grade, model_attempt};

    fn signed(key_seed: u8) -> (SignedReport, GradedReport) {
        let scenario = embedded_scenarios().into_iter().next().unwrap();
        let student = Student { id: "2024001".into(), name: "张三".into() };
        let mut facts = model_attempt(&scenario, student, "2026-03-02T09:00:00+08:00", "2026-03-02T09:10:00+08:00");
        facts.products[0].price_stated = false;
        let report = grade(&scenario, &Rubric::default_rubric(), &facts).unwrap();
        (sign(&report, &facts, &SigningKey::from_bytes(&[key_seed; 32])), report)
    }

    #[test]
    fn a_signed_report_verifies_and_round_trips() {
        let (file, report) = signed(7);
        let verified = verify(&file.to_json_bytes()).unwrap();
        assert_eq!(verified.report, report);
        assert_eq!(verified.public_key, hex::encode(SigningKey::from_bytes(&[7; 32]).verifying_key().to_bytes()));
        // Re-indenting or reordering keys does not break it.
        let compact = serde_json::to_vec(&file).unwrap();
        assert!(verify(&compact).is_ok());
    }

    #[test]
    fn an_edited_score_is_reported_as_edited() {
        let (file, _) = signed(7);
        let text = String::from_utf8(file.to_json_bytes()).unwrap();
        let edited = text.replacen("\"total\": 98.5", "\"total\": 100.0", 1);
        assert!(edited != text, "the total is 98.5");
        assert_eq!(verify(edited.as_bytes()).unwrap_err(), VerifyError::Edited);
    }

    #[test]
    fn an_edit_with_a_recomputed_digest_is_a_bad_signature() {
        let (mut file, _) = signed(7);
        file.payload["report"]["total"] = serde_json::json!(100.0);
        file.payload_sha256 = hex::encode(Sha256::digest(canonical_json(&file.payload)));
        assert_eq!(verify(&file.to_json_bytes()).unwrap_err(), VerifyError::BadSignature);
    }

    #[test]
    fn another_key_over_the_same_payload_is_a_bad_signature() {
        let (mut file, _) = signed(7);
        let (other, _) = signed(8);
        file.public_key = other.public_key;
        assert_eq!(verify(&file.to_json_bytes()).unwrap_err(), VerifyError::BadSignature);
    }

    #[test]
    fn wrong_format_unreadable_and_damaged_are_distinct() {
        let (mut file, _) = signed(7);
        assert!(matches!(verify(b"{not json").unwrap_err(), VerifyError::Unreadable(_)));
        assert!(matches!(verify(br#"{"format":"something/2"}"#).unwrap_err(), VerifyError::WrongFormat(f) if f == "something/2"));
        assert!(matches!(verify(b"[1,2]").unwrap_err(), VerifyError::WrongFormat(_)));
        file.signature.truncate(10);
        let err = verify(&file.to_json_bytes()).unwrap_err();
        assert!(matches!(err, VerifyError::Damaged(_)) && err.is_tampering());
        assert_eq!(err.message_zh(), "文件中的密钥或签名已损坏，请让学生重新导出");
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let value = serde_json::json!({"b": [{"z": 1, "a": "x"}], "a": 1.5});
        assert_eq!(canonical_json(&value), br#"{"a":1.5,"b":[{"a":"x","z":1}]}"#);
    }
}
