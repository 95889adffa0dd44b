//! The error of every platform call.

use crate::types::{Problem, ProblemCode};
use std::time::Duration;

/// Why a platform call failed.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The platform answered with a problem (RFC 9457).
    #[error("{method} {path}: {} {}: {}", problem.status, problem.code.as_str(), problem.detail)]
    Problem {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// The problem body (boxed to keep the error small).
        problem: Box<Problem>,
        /// The `Retry-After` header, if any.
        retry_after: Option<Duration>,
    },
    /// The request did not get a complete answer (refused, reset, timed out).
    #[error("{method} {path}: {message}")]
    Transport {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// What the HTTP stack reported.
        message: String,
    },
    /// The answer was complete but not what the contract says.
    #[error("{method} {path}: status {status}: body is not the expected {expected}: {message}")]
    Decode {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// HTTP status of the answer.
        status: u16,
        /// The type that was expected.
        expected: &'static str,
        /// The parse error.
        message: String,
    },
    /// The client could not be built from its configuration.
    #[error("platform client configuration: {0}")]
    Config(String),
    /// An outbox entry's payload does not fit its operation.
    #[error("outbox payload for {operation}: {message}")]
    Payload {
        /// The operation.
        operation: String,
        /// The parse error.
        message: String,
    },
}

impl PlatformError {
    /// Whether sending the same request again may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            PlatformError::Transport { .. } => true,
            PlatformError::Decode { status, .. } => *status >= 500,
            PlatformError::Problem { problem, .. } => {
                problem.status == 429
                    || problem.status >= 500
                    || matches!(problem.code, ProblemCode::InvalidToken | ProblemCode::ClockSkew)
            }
            PlatformError::Config(_) | PlatformError::Payload { .. } => false,
        }
    }

    /// Whether the platform refused this request for good: sending it again, or later,
    /// will be refused again. Credentials, signatures and the network are not the
    /// request's fault, so their failures are not refusals.
    pub fn is_refusal(&self) -> bool {
        match self {
            PlatformError::Problem { problem, .. } => matches!(
                problem.code,
                ProblemCode::BadRequest
                    | ProblemCode::MissingIdempotencyKey
                    | ProblemCode::IdempotencyMismatch
                    | ProblemCode::NotFound
                    | ProblemCode::NoRoute
                    | ProblemCode::MethodNotAllowed
                    | ProblemCode::Conflict
                    | ProblemCode::InvalidState
                    | ProblemCode::Validation
                    | ProblemCode::PayloadTooLarge
            ),
            PlatformError::Payload { .. } => true,
            PlatformError::Decode { status, .. } => *status < 500,
            PlatformError::Transport { .. } | PlatformError::Config(_) => false,
        }
    }

    /// How long the platform asked us to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            PlatformError::Problem { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The problem code, when the platform sent one.
    pub fn code(&self) -> Option<&ProblemCode> {
        match self {
            PlatformError::Problem { problem, .. } => Some(&problem.code),
            _ => None,
        }
    }
}
