//! Errors of the store, and the closed set of codes the UI branches on.

use crate::validate::FieldError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What went wrong in the store. `Display` is for logs; the UI uses [`StoreError::code`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not an AnchorDesk database and was left untouched: restore it from a backup, or move it away and AnchorDesk creates a new one")]
    NotADatabase { path: PathBuf },
    #[error(
        "{path} was written by a newer AnchorDesk (schema {found}, this build knows up to {supported}) and was left untouched: update AnchorDesk to open it"
    )]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },
    #[error("cannot read or create {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{entity} {id} does not exist")]
    NotFound { entity: &'static str, id: i64 },
    #[error("invalid input: {}", fields_summary(.0))]
    Invalid(Vec<FieldError>),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
}

fn fields_summary(fields: &[FieldError]) -> String {
    fields.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; ")
}

/// The codes the UI acts on. Closed: add a variant only where the UI does something
/// different with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ErrorCode {
    NotADatabase,
    NewerSchema,
    NotFound,
    Invalid,
    Io,
    Internal,
}

impl StoreError {
    /// The code the UI branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::NotADatabase { .. } => ErrorCode::NotADatabase,
            StoreError::NewerSchema { .. } => ErrorCode::NewerSchema,
            StoreError::Io { .. } => ErrorCode::Io,
            StoreError::NotFound { .. } => ErrorCode::NotFound,
            StoreError::Invalid(_) => ErrorCode::Invalid,
            StoreError::Sqlite(_) | StoreError::Migration(_) | StoreError::Corrupt(_) => ErrorCode::Internal,
        }
    }
}
