//! `/proc/slabinfo` version 2.1 (Linux: `print_slabinfo_header`, `cache_show`,
//! mm/slab_common.c, v6.12).

use super::SlabCaches;
use crate::mm::Mm;
use crate::platform::Platform;
use core::fmt;

/// The two header lines.
///
/// ```
/// use oxmm::slab::slabinfo::SLABINFO_HEADER;
/// assert_eq!(SLABINFO_HEADER.lines().count(), 2);
/// assert!(SLABINFO_HEADER.lines().nth(1).unwrap().starts_with("# name"));
/// ```
pub const SLABINFO_HEADER: &str = "slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";

/// One row of `cache_show`.
///
/// ```
/// let mut s = String::new();
/// oxmm::slab::slabinfo::slabinfo_row(&mut s, "kmalloc-256", 2048, 2048, 256, 32, 1, 64).unwrap();
/// assert_eq!(s, "kmalloc-256         2048   2048    256   32    2 : tunables    0    0    0 : slabdata     64     64      0\n");
/// ```
#[allow(clippy::too_many_arguments)]
pub fn slabinfo_row(
    w: &mut dyn fmt::Write,
    name: &str,
    active_objs: u64,
    num_objs: u64,
    size: u32,
    objperslab: u32,
    order: u32,
    slabs: u64,
) -> fmt::Result {
    writeln!(
        w,
        "{name:<17} {active_objs:>6} {num_objs:>6} {size:>6} {objperslab:>4} {:>4} : tunables {:>4} {:>4} {:>4} : slabdata {slabs:>6} {slabs:>6} {:>6}",
        1u64 << order,
        0,
        0,
        0,
        0
    )
}

impl SlabCaches {
    /// `/proc/slabinfo`: the header, then every cache newest first.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// let mut s = String::new();
    /// slab.slabinfo(mm, &mut s).unwrap();
    /// assert!(s.starts_with("slabinfo - version: 2.1\n"));
    /// # }
    /// ```
    #[doc(alias = "slab_show")]
    pub fn slabinfo<P: Platform>(&self, mm: &Mm<P>, w: &mut dyn fmt::Write) -> fmt::Result {
        w.write_str(SLABINFO_HEADER)?;
        let mut r = Ok(());
        self.for_each(|c| {
            if r.is_err() {
                return;
            }
            let active = self.active_objects(mm, c.id()).unwrap_or(0);
            r = slabinfo_row(
                w,
                c.name(),
                active,
                c.total_objects(),
                c.size(),
                c.objects_per_slab(),
                c.order(),
                c.nr_slabs(),
            );
        });
        r?;
        Ok(())
    }
}
