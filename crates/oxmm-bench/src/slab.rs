//! Slab-allocator benchmarks: reserved slot. This is a deliberate placeholder (the only
//! one in this crate): another change fills it in; until then [`run`] reports that the
//! benchmarks do not exist rather than printing numbers.
//!
//! ```
//! let e = oxmm_bench::slab::run(true).unwrap_err();
//! assert_eq!(e.to_string(), "slab benchmarks: not built yet");
//! ```

/// Run the slab benchmarks (`quick`: fewer, shorter samples). Not built yet: always an
/// error saying so.
///
/// ```
/// assert!(oxmm_bench::slab::run(false).is_err());
/// ```
pub fn run(quick: bool) -> anyhow::Result<()> {
    let _ = quick;
    anyhow::bail!("slab benchmarks: not built yet")
}
