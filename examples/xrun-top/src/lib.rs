//! xrun-top: a terminal UI over the xrun job store (see README.md).
#![forbid(unsafe_code)]

pub mod actions;
pub mod app;
pub mod model;
pub mod timefmt;
pub mod ui;
pub mod view;
