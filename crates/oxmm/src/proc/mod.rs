//! `/proc` renderers for the allocator's state (Linux: mm/vmstat.c).
//!
//! ```
//! // Each renderer writes into any `core::fmt::Write`; see `buddyinfo`.
//! let mut s = String::new();
//! core::fmt::Write::write_str(&mut s, "").unwrap();
//! ```

pub mod buddyinfo;
pub mod meminfo;
pub mod vmstat;
pub mod zoneinfo;
