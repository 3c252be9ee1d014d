//! The kernel log sink (Linux: `printk`, `pr_info`).
//!
//! The core never allocates, so it writes each log line into a [`Log`] the caller
//! provides: the hosted CLI prints them, tests collect them.

use core::fmt;

/// Log levels the core uses (Linux: `KERN_*`).
///
/// ```
/// use oxmm::printk::Level;
/// assert!(Level::Debug > Level::Info);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    /// `KERN_ALERT` (bad page reports).
    Alert = 1,
    /// `KERN_ERR`.
    Err = 3,
    /// `KERN_WARNING`.
    Warning = 4,
    /// `KERN_NOTICE`.
    Notice = 5,
    /// `KERN_INFO`: the default for the boot lines.
    Info = 6,
    /// `KERN_DEBUG`: printed only with `loglevel=8`/`debug`.
    Debug = 7,
}

/// Where the core writes its log lines. One call is one complete line, without the
/// trailing newline.
///
/// ```
/// use oxmm::printk::{Log, Level};
/// struct Count(usize);
/// impl Log for Count {
///     fn line(&mut self, _l: Level, _args: core::fmt::Arguments<'_>) { self.0 += 1; }
/// }
/// let mut c = Count(0);
/// oxmm::pr_info!(c, "Zone ranges:");
/// assert_eq!(c.0, 1);
/// ```
pub trait Log {
    /// Write one line at `level`.
    fn line(&mut self, level: Level, args: fmt::Arguments<'_>);
}

/// A log that drops everything.
///
/// ```
/// use oxmm::printk::{Log, Level, NullLog};
/// NullLog.line(Level::Info, format_args!("gone"));
/// ```
#[derive(Default, Clone, Copy, Debug)]
pub struct NullLog;

impl Log for NullLog {
    fn line(&mut self, _level: Level, _args: fmt::Arguments<'_>) {}
}

/// `pr_info!(log, fmt, args...)`: one `KERN_INFO` line.
#[macro_export]
macro_rules! pr_info {
    ($log:expr, $($arg:tt)*) => {
        $crate::printk::Log::line(&mut $log, $crate::printk::Level::Info, format_args!($($arg)*))
    };
}

/// `pr_warn!(log, fmt, args...)`: one `KERN_WARNING` line.
#[macro_export]
macro_rules! pr_warn {
    ($log:expr, $($arg:tt)*) => {
        $crate::printk::Log::line(&mut $log, $crate::printk::Level::Warning, format_args!($($arg)*))
    };
}

/// `pr_debug!(log, fmt, args...)`: one `KERN_DEBUG` line.
#[macro_export]
macro_rules! pr_debug {
    ($log:expr, $($arg:tt)*) => {
        $crate::printk::Log::line(&mut $log, $crate::printk::Level::Debug, format_args!($($arg)*))
    };
}
