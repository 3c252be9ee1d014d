//! Checks on a page being freed (Linux: `free_page_is_bad`, `page_bad_reason`,
//! `free_tail_page_prepare`, `bad_page`, mm/page_alloc.c).
//!
//! Linux reports a bad page, taints the kernel and leaks the page; here the free is
//! refused with a [`BadPage`] naming the pfn and the reason, and nothing is changed.

use core::fmt;

/// Why a free was refused.
///
/// ```
/// use oxmm::page_alloc::BadPageReason;
/// assert_eq!(BadPageReason::TailPage.to_string(), "freeing a tail page of a compound page");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadPageReason {
    /// The page is already free (PageBuddy, or no reference left).
    DoubleFree,
    /// The pfn is a tail page of a compound page.
    TailPage,
    /// The order differs from the one the block was allocated with.
    WrongOrder {
        /// Order recorded at allocation.
        allocated: u32,
    },
    /// The order exceeds `MAX_PAGE_ORDER`.
    OrderTooLarge,
    /// The pfn is not aligned to the order.
    Misaligned,
    /// The pfn has no descriptor, is reserved or not in a zone: not managed memory.
    NotManaged,
    /// Someone else still holds a reference (`_refcount` would stay non-zero).
    NonZeroRefcount(u32),
    /// A page inside the block is not in the state an allocated block leaves it in.
    BadTail {
        /// The offending page.
        pfn: u64,
    },
    /// The checks passed but the free lists were found corrupted while linking the
    /// block (see `Mm::check`).
    Corrupted,
}

impl fmt::Display for BadPageReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadPageReason::DoubleFree => f.write_str("double free (page already free)"),
            BadPageReason::TailPage => f.write_str("freeing a tail page of a compound page"),
            BadPageReason::WrongOrder { allocated } => {
                write!(f, "wrong order (allocated with order {allocated})")
            }
            BadPageReason::OrderTooLarge => f.write_str("order above MAX_PAGE_ORDER"),
            BadPageReason::Misaligned => f.write_str("pfn not aligned to the order"),
            BadPageReason::NotManaged => f.write_str("not managed memory"),
            BadPageReason::NonZeroRefcount(r) => write!(f, "nonzero _refcount ({r})"),
            BadPageReason::BadTail { pfn } => {
                write!(f, "corrupted page {pfn:#x} inside the block")
            }
            BadPageReason::Corrupted => f.write_str("free lists corrupted"),
        }
    }
}

/// A refused free: the pfn and order given, and why (Linux: "BUG: Bad page state").
///
/// ```
/// use oxmm::page_alloc::{BadPage, BadPageReason};
/// let e = BadPage { pfn: 0x1234, order: 0, reason: BadPageReason::DoubleFree };
/// assert_eq!(e.to_string(), "Bad page state: pfn:0x1234 order:0 reason: double free (page already free)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(alias = "bad_page")]
pub struct BadPage {
    /// The pfn passed to the free.
    pub pfn: u64,
    /// The order passed to the free.
    pub order: u32,
    /// What is wrong.
    pub reason: BadPageReason,
}

impl fmt::Display for BadPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Bad page state: pfn:{:#x} order:{} reason: {}",
            self.pfn, self.order, self.reason
        )
    }
}

impl<P: crate::platform::Platform> crate::mm::Mm<P> {
    /// [`Mm::report_bad_page`] on the way out of a refused free, out of line.
    #[cold]
    #[inline(never)]
    pub(crate) fn bad_page_reported(&self, b: BadPage) -> BadPage {
        self.report_bad_page(&b);
        b
    }

    /// Whether a bad page was reported (`TAINT_BAD_PAGE`: later stack dumps say
    /// `Tainted: G    B`).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let _ = mm.tainted_bad_page();
    /// # }
    /// ```
    pub fn tainted_bad_page(&self) -> bool {
        self.tainted_bad_page
            .load(core::sync::atomic::Ordering::Relaxed)
    }

    /// `bad_page`: report a refused free on the platform's log, Linux-style: the
    /// `BUG` line at `KERN_ALERT`, the page's state as `dump_page` prints it and the
    /// reason (`KERN_WARNING`), `print_modules` (none here), `dump_stack`, then
    /// `add_taint(TAINT_BAD_PAGE, LOCKDEP_NOW_UNRELIABLE)`, which turns lock debugging
    /// off and says so the first time.
    #[doc(alias = "bad_page")]
    pub(crate) fn report_bad_page(&self, b: &BadPage) {
        use crate::printk::Level::{Alert, Warning};
        let p = &self.platform;
        p.printk(
            Alert,
            format_args!("BUG: Bad page state in process oxmm  pfn:{:05x}", b.pfn),
        );
        if let Some(d) = self.memmap.page(b.pfn) {
            let mapcount = if d.page_type() == crate::page::Page::TYPE_NONE {
                0
            } else {
                d.page_type() as i32 + 1
            };
            p.printk(
                Warning,
                format_args!(
                    "page: refcount:{} mapcount:{} mapping:0000000000000000 index:0x0 pfn:{:#x}",
                    d.refcount(),
                    mapcount,
                    b.pfn
                ),
            );
            p.printk(
                Warning,
                format_args!("flags: {}", crate::page::PageFlags(d.flags())),
            );
            p.printk(
                Warning,
                format_args!(
                    "raw: {:016x} {:08x}{:08x} {:08x}{:08x} {:016x}",
                    d.flags(),
                    d.refcount(),
                    d.page_type(),
                    d.next(),
                    d.prev(),
                    d.private()
                ),
            );
        }
        p.printk(Warning, format_args!("page dumped because: {}", b.reason));
        p.printk(Warning, format_args!("Modules linked in:"));
        p.dump_stack(self.tainted_bad_page());
        if !self
            .tainted_bad_page
            .swap(true, core::sync::atomic::Ordering::Relaxed)
        {
            p.printk(
                Warning,
                format_args!("Disabling lock debugging due to kernel taint"),
            );
        }
    }
}
