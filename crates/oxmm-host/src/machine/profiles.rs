//! Built-in machine profiles, stored as TOML descriptions.

use super::error::{ErrorKind, Location, MachineError};
use super::Machine;

/// Profile names; the first is the default.
pub(super) const NAMES: &[&str] = &["pc-8g", "numa-2x16g", "ia32-4g", "arm64-board", "big-1t"];

const TEXTS: &[&str] = &[
    include_str!("../../profiles/pc-8g.toml"),
    include_str!("../../profiles/numa-2x16g.toml"),
    include_str!("../../profiles/ia32-4g.toml"),
    include_str!("../../profiles/arm64-board.toml"),
    include_str!("../../profiles/big-1t.toml"),
];

pub(super) fn profile(name: &str) -> Result<Machine, MachineError> {
    let Some(i) = NAMES.iter().position(|&n| n == name) else {
        return Err(MachineError::new(
            "profiles",
            Location::Field("profile".into()),
            ErrorKind::UnknownProfile,
            format!("unknown profile `{name}` (built in: {})", NAMES.join(", ")),
        ));
    };
    Machine::from_toml_str(TEXTS[i], &format!("profile {name}"))
}
