//! The monitor's logic, separate from the terminal loop so tests drive it.
#![forbid(unsafe_code)]
pub mod json;
pub mod monitor;
pub mod table;
