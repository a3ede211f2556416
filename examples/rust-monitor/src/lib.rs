//! The monitor's logic, separate from the terminal loop so tests drive it.
pub mod json;
pub mod monitor;
pub mod table;
