//! Watermark, lowmem-reserve and per-CPU list sizing formulas (Linux:
//! `calculate_min_free_kbytes`, `set_recommended_min_free_kbytes`,
//! `__setup_per_zone_wmarks`, `setup_per_zone_lowmem_reserve`,
//! `calculate_totalreserve_pages`, `zone_batchsize`, `zone_highsize`; mm/page_alloc.c,
//! mm/khugepaged.c).
//!
//! These are the pure arithmetic of REFERENCE.md §6–§7, kept apart from the zone
//! structures so each formula can be checked on its own against Linux's numbers.

use crate::mmzone::{ZoneType, MAX_NR_ZONES, MIGRATE_PCPTYPES};

/// The compile-time default of `vm.min_free_kbytes` before it is computed.
///
/// ```
/// assert_eq!(oxmm::watermark::MIN_FREE_KBYTES_DEFAULT, 1024);
/// ```
pub const MIN_FREE_KBYTES_DEFAULT: u64 = 1024;

/// Default `vm.watermark_scale_factor` (in 1/10000 of managed memory).
///
/// ```
/// assert_eq!(oxmm::watermark::WATERMARK_SCALE_FACTOR_DEFAULT, 10);
/// ```
pub const WATERMARK_SCALE_FACTOR_DEFAULT: u64 = 10;

/// Default `vm.watermark_boost_factor`.
///
/// ```
/// assert_eq!(oxmm::watermark::WATERMARK_BOOST_FACTOR_DEFAULT, 15000);
/// ```
pub const WATERMARK_BOOST_FACTOR_DEFAULT: u64 = 15000;

/// Default `vm.lowmem_reserve_ratio` for a zone type (DMA 256, DMA32 256, Normal 32,
/// HighMem 0, Movable 0).
///
/// ```
/// use oxmm::mmzone::ZoneType;
/// assert_eq!(oxmm::watermark::default_lowmem_reserve_ratio(ZoneType::Normal), 32);
/// ```
#[doc(alias = "sysctl_lowmem_reserve_ratio")]
pub const fn default_lowmem_reserve_ratio(t: ZoneType) -> u64 {
    match t {
        ZoneType::Dma | ZoneType::Dma32 => 256,
        ZoneType::Normal => 32,
        ZoneType::HighMem | ZoneType::Movable | ZoneType::Device => 0,
    }
}

/// `int_sqrt`: ⌊√x⌋.
///
/// ```
/// assert_eq!(oxmm::watermark::int_sqrt(4_000_000), 2000);
/// assert_eq!(oxmm::watermark::int_sqrt(8), 2);
/// ```
pub const fn int_sqrt(x: u64) -> u64 {
    if x < 2 {
        return x;
    }
    // Newton's method from above converges to the floor.
    let mut r = 1u64 << (64 - x.leading_zeros()).div_ceil(2);
    loop {
        let next = (r + x / r) / 2;
        if next >= r {
            return r;
        }
        r = next;
    }
}

/// `calculate_min_free_kbytes` without a user value: `clamp(isqrt(lowmem_kb × 16), 128,
/// 262144)`, where `lowmem_kb` is `nr_free_buffer_pages()` in kB.
///
/// ```
/// // 1 GiB of lowmem → 4096 kB (REFERENCE.md §6.1).
/// assert_eq!(oxmm::watermark::calculate_min_free_kbytes(262144, 4), 4096);
/// ```
pub const fn calculate_min_free_kbytes(nr_free_buffer_pages: u64, page_kb: u64) -> u64 {
    let v = int_sqrt(nr_free_buffer_pages * page_kb * 16);
    if v < 128 {
        128
    } else if v > 262144 {
        262144
    } else {
        v
    }
}

/// `set_recommended_min_free_kbytes`' value: two free pageblocks plus
/// `MIGRATE_PCPTYPES²` pageblocks per populated zone up to `gfp_zone(GFP_USER)`,
/// capped at 5 % of lowmem, in kB.
///
/// ```
/// // DMA + DMA32 + Normal with plenty of lowmem → 67584 kB (REFERENCE.md §6.2).
/// assert_eq!(oxmm::watermark::thp_recommended_min_free_kbytes(3, 512, 4_000_000, 4), 67584);
/// ```
#[doc(alias = "set_recommended_min_free_kbytes")]
pub const fn thp_recommended_min_free_kbytes(
    nr_zones: u64,
    pageblock_nr_pages: u64,
    nr_free_buffer_pages: u64,
    page_kb: u64,
) -> u64 {
    let pcp = MIGRATE_PCPTYPES as u64;
    let mut rec = pageblock_nr_pages * nr_zones * 2 + pageblock_nr_pages * nr_zones * pcp * pcp;
    let cap = nr_free_buffer_pages / 20;
    if rec > cap {
        rec = cap;
    }
    rec * page_kb
}

/// One zone's watermarks (Linux: `_watermark[]` and `watermark_boost`).
///
/// ```
/// let w = oxmm::watermark::Watermarks::default();
/// assert_eq!(w.min(), 0);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Watermarks {
    /// `_watermark[WMARK_MIN]`.
    pub min: u64,
    /// `_watermark[WMARK_LOW]`.
    pub low: u64,
    /// `_watermark[WMARK_HIGH]`.
    pub high: u64,
    /// `_watermark[WMARK_PROMO]`.
    pub promo: u64,
    /// `watermark_boost`.
    pub boost: u64,
}

impl Watermarks {
    /// `min_wmark_pages`: includes the boost.
    ///
    /// ```
    /// use oxmm::watermark::Watermarks;
    /// let w = Watermarks { min: 100, low: 125, high: 150, promo: 175, boost: 20 };
    /// assert_eq!(w.min(), 120);
    /// assert_eq!(Watermarks { boost: 0, ..w }.min(), w.min); // no boost: the field
    /// ```
    #[doc(alias = "min_wmark_pages")]
    pub const fn min(&self) -> u64 {
        self.min + self.boost
    }
    /// `low_wmark_pages`: includes the boost.
    ///
    /// ```
    /// use oxmm::watermark::Watermarks;
    /// let w = Watermarks { min: 100, low: 125, high: 150, promo: 175, boost: 20 };
    /// assert_eq!(w.low(), 145);
    /// assert_eq!(w.low() - w.min(), w.low - w.min); // the boost lifts every mark alike
    /// ```
    #[doc(alias = "low_wmark_pages")]
    pub const fn low(&self) -> u64 {
        self.low + self.boost
    }
    /// `high_wmark_pages`: includes the boost.
    ///
    /// ```
    /// use oxmm::watermark::zone_watermarks;
    /// use oxmm::mmzone::ZoneType;
    /// let mut w = zone_watermarks(ZoneType::Normal, 4_000_000, 4_000_000, 67584, 4, 10);
    /// assert_eq!(w.high(), 25344);
    /// w.boost = 1000;
    /// assert_eq!(w.high(), 26344);
    /// ```
    #[doc(alias = "high_wmark_pages")]
    pub const fn high(&self) -> u64 {
        self.high + self.boost
    }
    /// `promo_wmark_pages`: includes the boost.
    ///
    /// ```
    /// use oxmm::watermark::Watermarks;
    /// let w = Watermarks { min: 100, low: 125, high: 150, promo: 175, boost: 20 };
    /// assert_eq!(w.promo(), 195);
    /// assert_eq!(w.promo() - w.high(), w.high() - w.low()); // one more step above high
    /// ```
    #[doc(alias = "promo_wmark_pages")]
    pub const fn promo(&self) -> u64 {
        self.promo + self.boost
    }
}

/// `mult_frac(x, n, d)` = ⌊x·n/d⌋ without overflow.
const fn mult_frac(x: u64, n: u64, d: u64) -> u64 {
    ((x as u128 * n as u128) / d as u128) as u64
}

/// `__setup_per_zone_wmarks` for one zone: `lowmem_pages` is Σ managed over all zones
/// of all nodes that are neither HighMem nor Movable.
///
/// ```
/// use oxmm::mmzone::ZoneType;
/// use oxmm::watermark::zone_watermarks;
/// // REFERENCE.md §6.3's example: managed 4,000,000, min_free_kbytes 67584.
/// let w = zone_watermarks(ZoneType::Normal, 4_000_000, 4_000_000, 67584, 4, 10);
/// assert_eq!((w.min, w.low, w.high, w.promo), (16896, 21120, 25344, 29568));
/// ```
#[doc(alias = "__setup_per_zone_wmarks")]
pub const fn zone_watermarks(
    zone: ZoneType,
    managed: u64,
    lowmem_pages: u64,
    min_free_kbytes: u64,
    page_kb: u64,
    watermark_scale_factor: u64,
) -> Watermarks {
    let pages_min = min_free_kbytes / page_kb;
    let share = if lowmem_pages == 0 {
        0
    } else {
        mult_frac(pages_min, managed, lowmem_pages)
    };
    let min = match zone {
        // These zones' min only sizes the reserve that __GFP_HIGH may dip into.
        ZoneType::HighMem | ZoneType::Movable => {
            let m = managed / 1024;
            if m < 32 {
                32
            } else if m > 128 {
                128
            } else {
                m
            }
        }
        _ => share,
    };
    // The gap uses the proportional share, not the clamped HighMem/Movable minimum.
    let a = share >> 2;
    let b = mult_frac(managed, watermark_scale_factor, 10000);
    let step = if a > b { a } else { b };
    Watermarks {
        min,
        low: min + step,
        high: min + 2 * step,
        promo: min + 3 * step,
        boost: 0,
    }
}

/// `setup_per_zone_lowmem_reserve` for one node: `managed[i]` and `ratio[i]` per
/// configured zone index; returns `lowmem_reserve[i][j]`.
///
/// ```
/// use oxmm::watermark::lowmem_reserve;
/// // REFERENCE.md §6.6: DMA 3977, DMA32 746000, Normal 3350000, Movable 0, Device 0.
/// let r = lowmem_reserve(&[3977, 746000, 3350000, 0, 0], &[256, 256, 32, 0, 0]);
/// assert_eq!(&r[0][..5], &[0, 2914, 16000, 16000, 16000]);
/// assert_eq!(&r[1][..5], &[0, 0, 13085, 13085, 13085]);
/// ```
#[doc(alias = "setup_per_zone_lowmem_reserve")]
pub fn lowmem_reserve(managed: &[u64], ratio: &[u64]) -> [[u64; MAX_NR_ZONES]; MAX_NR_ZONES] {
    let n = managed.len().min(ratio.len()).min(MAX_NR_ZONES);
    let mut out = [[0u64; MAX_NR_ZONES]; MAX_NR_ZONES];
    for i in 0..n.saturating_sub(1) {
        let clear = ratio[i] == 0 || managed[i] == 0;
        let mut acc = 0u64;
        for j in i + 1..n {
            acc += managed[j];
            // v6.12 keeps the cumulative value for empty upper zones (fixtures'
            // zoneinfo: `protection: (0, 1949, 1949, 1949, 1949)` with Normal empty).
            out[i][j] = if clear { 0 } else { acc / ratio[i] };
        }
    }
    out
}

/// `calculate_totalreserve_pages`' per-zone term:
/// `min(max_j lowmem_reserve[j] + high_wmark_pages, managed)`.
///
/// ```
/// assert_eq!(oxmm::watermark::zone_totalreserve(&[0, 2914, 16000], 24, 3977), 3977);
/// assert_eq!(oxmm::watermark::zone_totalreserve(&[0, 0, 13085], 4610, 746000), 17695);
/// ```
#[doc(alias = "calculate_totalreserve_pages")]
pub fn zone_totalreserve(lowmem_reserve: &[u64], high_wmark: u64, managed: u64) -> u64 {
    let max = lowmem_reserve.iter().copied().max().unwrap_or(0);
    (max + high_wmark).min(managed)
}

/// `rounddown_pow_of_two`.
const fn rounddown_pow2(x: u64) -> u64 {
    if x == 0 {
        0
    } else {
        1 << (63 - x.leading_zeros())
    }
}

/// `zone_batchsize` (MMU): about a quarter of 1/1024 of the zone, at most 1 MiB worth,
/// rounded to 2^n − 1 to avoid cache-colouring patterns; at least 1.
///
/// ```
/// use oxmm::watermark::zone_batchsize;
/// assert_eq!(zone_batchsize(503775, 4096), 63);
/// assert_eq!(zone_batchsize(3840, 4096), 1);
/// assert_eq!(zone_batchsize(131072, 4096), 31); // 512 MiB
/// ```
pub const fn zone_batchsize(managed: u64, page_size: u64) -> u64 {
    let cap = (1 << 20) / page_size;
    let mut batch = managed >> 10;
    if batch > cap {
        batch = cap;
    }
    batch /= 4;
    if batch < 1 {
        batch = 1;
    }
    let b = rounddown_pow2(batch + batch / 2) - 1;
    if b < 1 {
        1
    } else {
        b
    }
}

/// `zone_highsize`: the per-CPU list limit. `fraction` 0 uses the low watermark as the
/// total; otherwise `managed / fraction`. `node_cpus` is the number of CPUs on the
/// zone's node (0 → `online_cpus`).
///
/// ```
/// use oxmm::watermark::zone_highsize;
/// // REFERENCE.md §6.6, 8 CPUs: DMA32 low 3842 → high_min 480; managed 746000 / 8 → 11656.
/// assert_eq!(zone_highsize(3842, 746000, 63, 0, 8, 8), 480);
/// assert_eq!(zone_highsize(3842, 746000, 63, 8, 8, 8), 11656);
/// ```
pub const fn zone_highsize(
    low_wmark: u64,
    managed: u64,
    batch: u64,
    fraction: u64,
    node_cpus: u64,
    online_cpus: u64,
) -> u64 {
    // Fraction 0 means "size by the low watermark".
    let total = match managed.checked_div(fraction) {
        Some(t) => t,
        None => low_wmark,
    };
    let cpus = if node_cpus == 0 {
        online_cpus
    } else {
        node_cpus
    };
    let cpus = if cpus == 0 { 1 } else { cpus };
    let high = total / cpus;
    if high > batch << 2 {
        high
    } else {
        batch << 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nominal_min_free_kbytes() {
        // REFERENCE.md §6.1: lowmem → kB.
        let mib = |m: u64| m * 256;
        assert_eq!(calculate_min_free_kbytes(mib(16), 4), 512);
        assert_eq!(calculate_min_free_kbytes(mib(128), 4), 1448);
        assert_eq!(calculate_min_free_kbytes(mib(4096), 4), 8192);
        assert_eq!(calculate_min_free_kbytes(mib(8192), 4), 11585);
        assert_eq!(calculate_min_free_kbytes(mib(65536), 4), 32768);
        assert_eq!(calculate_min_free_kbytes(mib(4 << 20), 4), 262144);
        assert_eq!(calculate_min_free_kbytes(1, 4), 128);
    }

    #[test]
    fn thp_two_zones_and_cap() {
        assert_eq!(thp_recommended_min_free_kbytes(2, 512, 4_000_000, 4), 45056);
        // Under 337920 lowmem pages the 5 % cap applies.
        assert_eq!(thp_recommended_min_free_kbytes(3, 512, 200_000, 4), 40000);
    }

    #[test]
    fn worked_example_6_6() {
        // REFERENCE.md §6.6, the whole table.
        let managed = [3977u64, 746000, 3350000, 0, 0];
        let types = [
            ZoneType::Dma,
            ZoneType::Dma32,
            ZoneType::Normal,
            ZoneType::Movable,
            ZoneType::Device,
        ];
        let lowmem: u64 = 3977 + 746000 + 3350000;
        let nfbp = lowmem; // no watermarks yet when first computed
        let mfk = calculate_min_free_kbytes(nfbp, 4)
            .max(thp_recommended_min_free_kbytes(3, 512, nfbp, 4));
        assert_eq!(calculate_min_free_kbytes(nfbp, 4), 16198);
        assert_eq!(mfk, 67584);
        let w: std::vec::Vec<Watermarks> = (0..5)
            .map(|i| zone_watermarks(types[i], managed[i], lowmem, mfk, 4, 10))
            .collect();
        let t = |w: &Watermarks| (w.min(), w.low(), w.high(), w.promo());
        assert_eq!(t(&w[0]), (16, 20, 24, 28));
        assert_eq!(t(&w[1]), (3074, 3842, 4610, 5378));
        assert_eq!(t(&w[2]), (13805, 17256, 20707, 24158));
        assert_eq!(t(&w[3]), (32, 32, 32, 32));
        let r = lowmem_reserve(&managed, &[256, 256, 32, 0, 0]);
        let reserve: std::vec::Vec<u64> = (0..5)
            .map(|i| zone_totalreserve(&r[i][..5], w[i].high(), managed[i]))
            .collect();
        assert_eq!(reserve, [3977, 17695, 20707, 0, 0]);
        assert_eq!(reserve.iter().sum::<u64>(), 42379);
        let batch: std::vec::Vec<u64> = (0..3).map(|i| zone_batchsize(managed[i], 4096)).collect();
        assert_eq!(batch, [1, 63, 63]);
        let hmin: std::vec::Vec<u64> = (0..3)
            .map(|i| zone_highsize(w[i].low(), managed[i], batch[i], 0, 8, 8))
            .collect();
        let hmax: std::vec::Vec<u64> = (0..3)
            .map(|i| zone_highsize(w[i].low(), managed[i], batch[i], 8, 8, 8))
            .collect();
        assert_eq!(hmin, [4, 480, 2157]);
        assert_eq!(hmax, [62, 11656, 52343]);
    }

    #[test]
    fn qemu_3g_dma_watermark_consistent() {
        // fixtures/linux-6.12-qemu/q35-3g-smp2: DMA managed 3840, min_free_kbytes 67584:
        // min 87, low 108, high 129, promo 150 with lowmem ≈ 743.9k pages at the time.
        let w = zone_watermarks(ZoneType::Dma, 3840, 743_900, 67584, 4, 10);
        assert_eq!((w.min, w.low, w.high, w.promo), (87, 108, 129, 150));
    }

    #[test]
    fn isqrt_edges() {
        for x in [0u64, 1, 2, 3, 4, 15, 16, 17, 1 << 40, u64::MAX] {
            let r = int_sqrt(x);
            assert!(r as u128 * r as u128 <= x as u128);
            assert!((r as u128 + 1) * (r as u128 + 1) > x as u128);
        }
    }
}
