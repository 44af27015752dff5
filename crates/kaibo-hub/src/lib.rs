//! hub
pub mod draw;
pub mod error;
pub mod moderation;
pub mod store;
pub mod text;
