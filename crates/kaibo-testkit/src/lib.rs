//! kaibo-testkit
