//! Merged-cache alias names (Linux v6.12: `__kmem_cache_alias` and `sysfs_slab_alias`
//! in mm/slub.c, `aliases_show`).
//!
//! A `kmem_cache_create` that Linux merges into an existing cache returns that cache
//! with its `refcount` raised, and links the requested name to it in
//! `/sys/kernel/slab` (`sysfs_remove_link` then `sysfs_create_link`: a name already
//! linked is re-pointed). The table keeps those links without a heap: a fixed number
//! of names of at most [`NAME_LEN`] bytes, each with the id of the cache it names.
//! As in Linux, destroying through an alias only drops the reference (the caller
//! passes the cache, not the name), so a link stays until its cache is destroyed.
//!
//! ```
//! use oxmm::slab::alias::AliasTable;
//! use oxmm::slab::CacheId;
//! let mut t = AliasTable::new();
//! assert!(t.link("dentry_like", CacheId(7)));
//! assert_eq!(t.lookup("dentry_like"), Some(CacheId(7)));
//! let mut names = Vec::new();
//! t.for_each_name(CacheId(7), |n| names.push(n.to_string()));
//! assert_eq!(names, ["dentry_like"]);
//! t.unlink_cache(CacheId(7));
//! assert_eq!(t.lookup("dentry_like"), None);
//! ```

use super::cache::NAME_LEN;
use super::CacheId;

/// Alias links kept; one more is refused (`SLUB: Unable to add cache alias …`).
///
/// ```
/// assert_eq!(oxmm::slab::alias::MAX_ALIASES, 128);
/// ```
pub const MAX_ALIASES: usize = 128;

const FREE: u16 = u16::MAX;

#[derive(Clone, Copy)]
struct Link {
    name: [u8; NAME_LEN],
    len: u8,
    cache: u16,
}

impl Link {
    const EMPTY: Link = Link {
        name: [0; NAME_LEN],
        len: 0,
        cache: FREE,
    };

    fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.len as usize]).unwrap_or("?")
    }
}

/// The alias links of `/sys/kernel/slab`: name → cache.
///
/// ```
/// let t = oxmm::slab::alias::AliasTable::new();
/// assert_eq!(t.len(), 0);
/// ```
#[doc(alias = "sysfs_slab_alias")]
pub struct AliasTable {
    links: [Link; MAX_ALIASES],
}

impl Default for AliasTable {
    fn default() -> Self {
        AliasTable::new()
    }
}

impl AliasTable {
    /// No links.
    ///
    /// ```
    /// assert!(oxmm::slab::alias::AliasTable::new().is_empty());
    /// ```
    pub const fn new() -> AliasTable {
        AliasTable {
            links: [Link::EMPTY; MAX_ALIASES],
        }
    }

    /// Links kept.
    ///
    /// ```
    /// let mut t = oxmm::slab::alias::AliasTable::new();
    /// t.link("a", oxmm::slab::CacheId(3));
    /// assert_eq!(t.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.links.iter().filter(|l| l.cache != FREE).count()
    }

    /// Whether no link is kept.
    ///
    /// ```
    /// assert!(oxmm::slab::alias::AliasTable::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Link `name` to `cache`, replacing a link of that name (`sysfs_remove_link` +
    /// `sysfs_create_link`). `false` when the table is full or the name is empty or
    /// longer than [`NAME_LEN`] bytes (Linux: the link fails, the merge stands).
    ///
    /// ```
    /// use oxmm::slab::{alias::AliasTable, CacheId};
    /// let mut t = AliasTable::new();
    /// t.link("x", CacheId(3));
    /// t.link("x", CacheId(4));
    /// assert_eq!((t.len(), t.lookup("x")), (1, Some(CacheId(4))));
    /// assert!(!t.link("", CacheId(4)));
    /// ```
    pub fn link(&mut self, name: &str, cache: CacheId) -> bool {
        if name.is_empty() || name.len() > NAME_LEN || cache.0 == FREE {
            return false;
        }
        let slot = match self
            .links
            .iter()
            .position(|l| l.cache != FREE && l.name() == name)
        {
            Some(i) => i,
            None => match self.links.iter().position(|l| l.cache == FREE) {
                Some(i) => i,
                None => return false,
            },
        };
        let l = &mut self.links[slot];
        l.name = [0; NAME_LEN];
        l.name[..name.len()].copy_from_slice(name.as_bytes());
        l.len = name.len() as u8;
        l.cache = cache.0;
        true
    }

    /// The cache `name` is linked to.
    ///
    /// ```
    /// assert_eq!(oxmm::slab::alias::AliasTable::new().lookup("x"), None);
    /// ```
    pub fn lookup(&self, name: &str) -> Option<CacheId> {
        self.links
            .iter()
            .find(|l| l.cache != FREE && l.name() == name)
            .map(|l| CacheId(l.cache))
    }

    /// Each name linked to `cache`, oldest slot first.
    ///
    /// ```
    /// use oxmm::slab::{alias::AliasTable, CacheId};
    /// let mut t = AliasTable::new();
    /// t.link("a", CacheId(3));
    /// t.link("b", CacheId(5));
    /// let mut n = 0;
    /// t.for_each_name(CacheId(3), |_| n += 1);
    /// assert_eq!(n, 1);
    /// ```
    pub fn for_each_name(&self, cache: CacheId, mut f: impl FnMut(&str)) {
        for l in self.links.iter().filter(|l| l.cache == cache.0) {
            f(l.name());
        }
    }

    /// Drop every link to `cache` (the cache is gone, and its links with it).
    ///
    /// ```
    /// use oxmm::slab::{alias::AliasTable, CacheId};
    /// let mut t = AliasTable::new();
    /// t.link("a", CacheId(3));
    /// t.unlink_cache(CacheId(3));
    /// assert!(t.is_empty());
    /// ```
    pub fn unlink_cache(&mut self, cache: CacheId) {
        for l in self.links.iter_mut().filter(|l| l.cache == cache.0) {
            *l = Link::EMPTY;
        }
    }
}
