//! Errors: what the API answers (JSON `{"error", "message"}`, 4xx for bad input) and what
//! starting the hub can fail with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A storage failure or a refusal from the store (unknown id, a rule such as "one like per
/// viewer").
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the hub database failed: {0}; check the disk and the file's permissions")]
    Storage(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
}

impl StoreError {
    /// A refusal with a stable code for clients and a sentence for people.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Storage(format!("stored JSON is damaged: {e}"))
    }
}

/// Why the hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("cannot open the hub database {path}: {source}")]
    Database { path: String, source: StoreError },
    #[error("cannot listen on {addr}: {source}; pick another address or stop what uses it")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot read the word lists: {0}")]
    WordLists(String),
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    #[error("the host token is too short ({0} characters); use at least 16 random characters")]
    WeakToken(usize),
    #[error("the hub's worker stopped unexpectedly: {0}")]
    Worker(String),
}

/// An answer other than success: status, stable code and a sentence saying what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send `Authorization: Bearer TOKEN` with the token from /api/v1/join (viewers) or the host token",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "a viewer token cannot do host actions; use the host token printed when the hub started",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("{what} not found"),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::not_found(what),
            StoreError::Conflict { code, message } => {
                Self::new(StatusCode::CONFLICT, code, message)
            }
            StoreError::Storage(detail) => {
                log::error!("hub storage: {detail}");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage",
                    "the hub could not save this; try again in a moment",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.code,
            message: &self.message,
        };
        (self.status, axum::Json(body)).into_response()
    }
}
