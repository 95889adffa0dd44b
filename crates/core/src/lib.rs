//! AnchorDesk's domain: products, broadcasts (场次) and their line-ups (排品), anchor
//! profiles, and the SQLite store that keeps them.
//!
//! The one design choice to know: every write goes through [`Store`], which owns a single
//! rusqlite connection, runs all migrations in one transaction when it opens, refuses a
//! database written by a newer build (or a file that is not a database) without touching
//! it, and puts every multi-row change in one transaction. Money is integer fen
//! ([`Fen`]) everywhere; only the UI formats it.
//!
//! This crate knows nothing of Tauri, FFmpeg or HTTP.

pub mod archive;
pub mod compliance;
pub mod devices;
pub mod error;
pub mod first_run;
pub mod html;
pub mod import;
pub mod live;
pub mod model;
pub mod money;
pub mod paths;
pub mod plan;
pub mod room;
pub mod rules;
pub mod preflight;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod prompter;
pub mod sample;
pub mod script;
pub mod store;
pub mod templates;
pub mod validate;

pub use error::{Conflict, ErrorCode, StoreError, UiError};
pub use model::*;
pub use money::Fen;
pub use store::{Store, StoredScene};
