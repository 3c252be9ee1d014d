//! Errors of machine descriptions: every one names where (file, line or field) and why.

use std::fmt;

/// Where in a machine description an error was found.
///
/// ```
/// use oxmm_host::machine::Location;
/// assert_eq!(Location::Line(3).to_string(), "line 3");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The whole description (no finer position).
    Whole,
    /// A 1-based line of the file.
    Line(usize),
    /// A field of the description, e.g. `e820[3].range` or `cmdline: mem=`.
    Field(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Whole => Ok(()),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Field(s) => write!(f, "field `{s}`"),
        }
    }
}

/// What kind of problem a [`MachineError`] reports (for callers that branch on it).
///
/// ```
/// use oxmm_host::machine::{Machine, ErrorKind};
/// let e = Machine::profile("no-such").unwrap_err();
/// assert_eq!(e.kind, ErrorKind::UnknownProfile);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// Malformed TOML or a field of the wrong shape.
    Toml,
    /// A number that does not parse.
    BadNumber,
    /// A range whose end lies before its start.
    BadRange,
    /// A range beyond the architecture's physical address width.
    BeyondPhysBits,
    /// A reservation that does not lie in memory.
    ReservationOutsideMemory,
    /// Two NUMA nodes whose ranges overlap.
    NodeOverlap,
    /// A SLIT distance matrix whose size does not match the node count.
    BadDistances,
    /// A profile name that is not built in.
    UnknownProfile,
    /// A boot log without any memory map.
    NoMemoryMap,
    /// An unknown or malformed value (architecture, page size, option value, type name).
    BadValue,
    /// The memory map could not be turned into memblock (e.g. too many regions).
    Memblock,
}

/// An error in a machine description, naming the origin (file or profile), the position
/// and the reason.
///
/// ```
/// use oxmm_host::machine::{MachineError, ErrorKind, Location};
/// let e = MachineError::new("m.toml", Location::Line(2), ErrorKind::BadNumber, "`0xzz` is not a number");
/// assert_eq!(e.to_string(), "m.toml: line 2: `0xzz` is not a number");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineError {
    /// The file name or `profile NAME`.
    pub origin: String,
    /// Where in it.
    pub location: Location,
    /// What kind of problem.
    pub kind: ErrorKind,
    /// The reason, in words, naming the offending value.
    pub reason: String,
}

impl MachineError {
    /// An error at `location` of `origin`.
    ///
    /// ```
    /// use oxmm_host::machine::{ErrorKind, Location, MachineError};
    /// let e = MachineError::new("m.toml", Location::Whole, ErrorKind::Io, "cannot read");
    /// assert_eq!(e.to_string(), "m.toml: cannot read"); // no position
    /// assert_eq!((e.origin.as_str(), e.kind), ("m.toml", ErrorKind::Io));
    /// ```
    pub fn new(
        origin: impl Into<String>,
        location: Location,
        kind: ErrorKind,
        reason: impl Into<String>,
    ) -> Self {
        MachineError {
            origin: origin.into(),
            location,
            kind,
            reason: reason.into(),
        }
    }

    /// The same error, attributed to `origin` (used when a parser that does not know the
    /// file name hands its error up).
    ///
    /// ```
    /// use oxmm_host::machine::{BootOptions, Location};
    /// let e = BootOptions::parse("mem=lots").unwrap_err();
    /// assert_eq!(e.origin, "command line");
    /// let e = e.with_origin("m.toml");
    /// assert_eq!(e.origin, "m.toml");
    /// assert_eq!(e.location, Location::Field("cmdline: mem".into())); // kept
    /// ```
    pub fn with_origin(mut self, origin: &str) -> Self {
        self.origin = origin.to_string();
        self
    }

    /// The same error at `location`, unless it already has a finer one.
    ///
    /// ```
    /// use oxmm_host::machine::{ErrorKind, Location, MachineError};
    /// let e = MachineError::new("m.toml", Location::Whole, ErrorKind::BadNumber, "`0xzz` is not a number");
    /// let e = e.at(Location::Line(4));
    /// assert_eq!(e.location, Location::Line(4));
    /// assert_eq!(e.at(Location::Line(9)).location, Location::Line(4)); // the finer one stays
    /// ```
    pub fn at(mut self, location: Location) -> Self {
        if self.location == Location::Whole {
            self.location = location;
        }
        self
    }
}

impl fmt::Display for MachineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Whole => write!(f, "{}: {}", self.origin, self.reason),
            l => write!(f, "{}: {}: {}", self.origin, l, self.reason),
        }
    }
}

impl std::error::Error for MachineError {}
