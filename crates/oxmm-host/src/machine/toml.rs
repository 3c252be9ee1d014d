//! The TOML form of machine descriptions.

use super::error::{ErrorKind, Location, MachineError};
use super::Machine;

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub(super) fn from_toml_str(text: &str, origin: &str) -> Result<Machine, MachineError> {
    let mut m: Machine = ::toml::from_str(text).map_err(|e| {
        let loc = e
            .span()
            .map_or(Location::Whole, |s| Location::Line(line_of(text, s.start)));
        // The toml crate's message repeats the source excerpt; keep its first line.
        let msg = e
            .message()
            .lines()
            .next()
            .unwrap_or("malformed TOML")
            .to_string();
        MachineError::new(origin, loc, ErrorKind::Toml, msg)
    })?;
    m.origin = origin.to_string();
    m.validate()?;
    Ok(m)
}

pub(super) fn to_toml_string(m: &Machine) -> String {
    // Serialising plain structs, strings and integers cannot fail.
    ::toml::to_string(m).unwrap_or_default()
}
