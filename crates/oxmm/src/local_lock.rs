//! Per-CPU data taken by its own CPU without an atomic instruction (Linux:
//! `local_lock_t` plus the spinlock that lets another CPU drain it, as
//! `per_cpu_pages.lock`).
//!
//! In the kernel a CPU reaches its own per-CPU lists with preemption off: nothing
//! else runs there meanwhile, and another CPU that must drain them takes their lock
//! (`pcp_spin_trylock`) or asks the owner to do it (`flush_all` → `on_each_cpu`).
//! A hosted machine has threads, not CPUs, and any number of them may use one CPU id;
//! a [`LocalLock`] therefore gives two ways in:
//!
//! * the **owner** of a CPU (a thread the [`Platform`] guarantees no other thread
//!   shares the CPU with: [`ThisCpu::owned`]) marks the slot active with a plain
//!   store, checks that nobody else wants it, and works on it: no `lock`-prefixed
//!   instruction, like `this_cpu_*` operations;
//! * **everyone else** — other threads folded onto the same CPU id, drains of another
//!   CPU's lists, readers of counts — announces itself on the slot's gate, and if the
//!   CPU has an owner, makes the owner's stores visible with
//!   [`Platform::barrier_owned_cpus`] (an IPI's worth of barrier: `membarrier` on a host)
//!   and waits until the owner is out; then it takes the spin lock.
//!
//! This is the asymmetric Dekker handshake of user-space RCU and `membarrier(2)`: the
//! owner orders its "active" store and its "gate" load with a compiler barrier only;
//! the other side's heavy barrier orders them on the owner's CPU. Either the owner sees
//! the gate closed (and takes the spin lock instead), or the other side sees the owner
//! active (and waits for it).

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use core::sync::atomic::{compiler_fence, AtomicBool, AtomicU32};

use crate::platform::Platform;

/// The calling thread's CPU as the platform sees it (Linux: `smp_processor_id()` with
/// preemption disabled).
///
/// ```
/// use oxmm::local_lock::ThisCpu;
/// let me = ThisCpu::shared(3);
/// assert_eq!(me.id, 3);
/// assert!(!me.is_owned());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThisCpu {
    /// The CPU id (below `nr_cpus`).
    pub id: usize,
    // Private: only `ThisCpu::owned`, an unsafe promise, makes it true.
    owned: bool,
}

impl ThisCpu {
    /// A CPU the caller may share with other threads.
    ///
    /// ```
    /// assert!(!oxmm::local_lock::ThisCpu::shared(0).is_owned());
    /// ```
    #[inline]
    pub const fn shared(id: usize) -> ThisCpu {
        ThisCpu { id, owned: false }
    }

    /// A CPU the calling thread owns.
    ///
    /// # Safety
    /// `id` must be below every value the platform's [`Platform::nr_cpus`] returns
    /// (the owner's per-CPU data is found without a bounds check).
    /// No other thread of execution may use CPU `id` as its owner until the caller's
    /// platform takes the ownership back (never while the owner is inside the core);
    /// the platform's [`Platform::cpu_owned`] must report `id` owned from before the
    /// owner's first use to after its last, and its [`Platform::barrier_owned_cpus`]
    /// must execute a full memory barrier on the owner's CPU before it returns.
    ///
    /// ```
    /// // SAFETY: a single-threaded example; nothing else uses CPU 0.
    /// let me = unsafe { oxmm::local_lock::ThisCpu::owned(0) };
    /// assert!(me.is_owned());
    /// ```
    #[inline]
    pub const unsafe fn owned(id: usize) -> ThisCpu {
        ThisCpu { id, owned: true }
    }

    /// Whether the calling thread owns the CPU (see [`ThisCpu::owned`]).
    ///
    /// ```
    /// assert!(!oxmm::local_lock::ThisCpu::shared(1).is_owned());
    /// ```
    #[inline]
    pub const fn is_owned(&self) -> bool {
        self.owned
    }
}

/// One CPU's slot of per-CPU data: `T` behind a spin lock, with the owner's lock-free
/// way in (see the module docs).
///
/// ```
/// use oxmm::local_lock::{LocalLock, ThisCpu};
/// # struct P;
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for P {
/// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
/// # }
/// let slot = LocalLock::new(0, 0u64);
/// *slot.lock_local(&P, ThisCpu::shared(0)) += 1;
/// *slot.lock_cpu(&P) += 1;
/// assert_eq!(*slot.try_lock_local(&P, ThisCpu::shared(0)).unwrap(), 2);
/// ```
#[doc(alias = "local_lock_t")]
// `active` first: the owner's guard then points at the slot and at the flag it
// clears on drop at once (one register for both on the hot paths).
#[repr(C)]
pub struct LocalLock<T> {
    /// The owner is inside (written by the owner only).
    active: AtomicBool,
    /// The CPU whose slot this is: only that CPU's owner takes the owner's way in.
    cpu: usize,
    /// How many non-owners want in or are in.
    gate: AtomicU32,
    lock: spin::mutex::SpinMutex<()>,
    data: UnsafeCell<T>,
}

// SAFETY: `data` is reached only through a guard, and guards exclude each other: the
// spin lock among non-owners, the active/gate handshake between them and the owner.
unsafe impl<T: Send> Sync for LocalLock<T> {}
// SAFETY: moving the slot moves `T`.
unsafe impl<T: Send> Send for LocalLock<T> {}

impl<T> LocalLock<T> {
    /// CPU `cpu`'s slot, holding `v`.
    ///
    /// ```
    /// let s = oxmm::local_lock::LocalLock::new(2, [0u8; 4]);
    /// assert!(!s.is_locked());
    /// assert_eq!(s.cpu(), 2);
    /// ```
    pub const fn new(cpu: usize, v: T) -> LocalLock<T> {
        LocalLock {
            cpu,
            active: AtomicBool::new(false),
            gate: AtomicU32::new(0),
            lock: spin::mutex::SpinMutex::new(()),
            data: UnsafeCell::new(v),
        }
    }

    /// The CPU whose slot this is.
    ///
    /// ```
    /// assert_eq!(oxmm::local_lock::LocalLock::new(5, ()).cpu(), 5);
    /// ```
    #[inline]
    pub const fn cpu(&self) -> usize {
        self.cpu
    }

    /// Whether anybody holds the slot (a hint: it may change at once).
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// let s = oxmm::local_lock::LocalLock::new(0, 1u8);
    /// let g = s.lock_cpu(&P);
    /// assert!(s.is_locked());
    /// drop(g);
    /// assert!(!s.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.active.load(Relaxed) || self.lock.is_locked()
    }

    /// Take the slot as the caller running as `me`, or `None` at once if it is busy
    /// (Linux: `pcp_spin_trylock`; an owner re-entering its own slot, as an interrupt
    /// would, also gets `None`). The owner's way in is taken only when `me` owns this
    /// slot's CPU; anyone else goes through the gate.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::local_lock::{LocalLock, ThisCpu};
    /// let s = LocalLock::new(0, 7u32);
    /// let g = s.try_lock_local(&P, ThisCpu::shared(0)).unwrap();
    /// assert!(s.try_lock_local(&P, ThisCpu::shared(0)).is_none());
    /// drop(g);
    /// ```
    #[doc(alias = "pcp_spin_trylock")]
    #[inline(always)]
    pub fn try_lock_local<P: Platform + ?Sized>(
        &self,
        p: &P,
        me: ThisCpu,
    ) -> Option<LocalGuard<'_, T>> {
        if me.owned && me.id == self.cpu {
            if self.active.load(Relaxed) {
                return None;
            }
            if let Some(g) = self.owner_enter() {
                return Some(g);
            }
            // Somebody is at the gate: queue behind them on the lock like them, but an
            // owner need not wait for itself.
            return self.lock.try_lock().map(|g| {
                core::mem::forget(g);
                LocalGuard::new(self, Kind::OwnerLocked)
            });
        }
        self.enter_other(p, true)
    }

    /// Take the slot as the caller running as `me`, waiting while it is busy (Linux:
    /// `local_lock` / `local_lock_irqsave` on the CPU's own data); the owner's way in
    /// only when `me` owns this slot's CPU.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::local_lock::{LocalLock, ThisCpu};
    /// let s = LocalLock::new(0, 7u32);
    /// assert_eq!(*s.lock_local(&P, ThisCpu::shared(0)), 7);
    /// ```
    #[doc(alias = "local_lock")]
    #[inline(always)]
    pub fn lock_local<P: Platform + ?Sized>(&self, p: &P, me: ThisCpu) -> LocalGuard<'_, T> {
        // The owner's uncontended way in is inlined into the callers' fast paths;
        // everything else is out of line.
        match self.lock_owner(me) {
            Some(g) => g,
            None => self.lock_local_slow(p, me),
        }
    }

    /// The owner's uncontended way in alone (the first step of
    /// [`lock_local`](Self::lock_local)): the slot when `me` owns this slot's CPU and
    /// nobody is in it or at its gate, else `None` at once — the caller then takes
    /// [`lock_local`](Self::lock_local). Code working on the guard it gives knows the
    /// guard is the owner's, so dropping it is one store, not a match on the way in.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::local_lock::{LocalLock, ThisCpu};
    /// let s = LocalLock::new(0, 7u32);
    /// // Not an owner: the caller must go the general way.
    /// assert!(s.lock_owner(ThisCpu::shared(0)).is_none());
    /// // SAFETY: nothing else uses CPU 0's slot in this example.
    /// let me = unsafe { ThisCpu::owned(0) };
    /// let g = s.lock_owner(me).unwrap();
    /// assert!(s.lock_owner(me).is_none()); // busy: no waiting here
    /// drop(g);
    /// assert_eq!(*s.lock_local(&P, me), 7);
    /// ```
    #[inline(always)]
    pub fn lock_owner(&self, me: ThisCpu) -> Option<LocalGuard<'_, T>> {
        if me.owned && me.id == self.cpu && !self.active.load(Relaxed) {
            return self.owner_enter();
        }
        None
    }

    /// [`LocalLock::lock_owner`] on a slot the caller found as its own CPU's (by
    /// `me.id` in a per-CPU array): the test that the slot is CPU `me.id`'s is left out.
    ///
    /// ```
    /// use oxmm::local_lock::{LocalLock, ThisCpu};
    /// let s = LocalLock::new(0, 7u32);
    /// // SAFETY: nothing else uses CPU 0's slot in this example.
    /// let me = unsafe { ThisCpu::owned(0) };
    /// // SAFETY: `s` was made as CPU 0's slot (`LocalLock::new(0, ..)`), and `me` is CPU 0.
    /// let g = unsafe { s.lock_owner_own_slot(me) };
    /// assert_eq!(g.map(|g| *g), Some(7));
    /// ```
    ///
    /// # Safety
    /// When `me` is owned, this slot must be CPU `me.id`'s (`self.cpu() == me.id`):
    /// the owner's way in excludes only that CPU's other users.
    #[inline(always)]
    pub unsafe fn lock_owner_own_slot(&self, me: ThisCpu) -> Option<LocalGuard<'_, T>> {
        debug_assert!(!me.owned || me.id == self.cpu);
        if me.owned && !self.active.load(Relaxed) {
            return self.owner_enter();
        }
        cold_path();
        None
    }

    /// [`LocalLock::lock_local`] when the owner's way in did not succeed at once.
    #[cold]
    #[inline(never)]
    fn lock_local_slow<P: Platform + ?Sized>(&self, p: &P, me: ThisCpu) -> LocalGuard<'_, T> {
        if me.owned && me.id == self.cpu {
            // Re-entering its own slot would be the owner waiting for itself, as a
            // spin lock taken twice.
            while self.active.load(Relaxed) {
                core::hint::spin_loop();
            }
            if let Some(g) = self.owner_enter() {
                return g;
            }
            return self.owner_locked();
        }
        match self.enter_other(p, false) {
            Some(g) => g,
            // `enter_other` without try only returns with the lock.
            None => self.owner_locked(),
        }
    }

    /// Take the slot from anywhere (Linux: a remote drain's `spin_lock(&pcp->lock)`,
    /// or `flush_all`'s work run on that CPU). If the slot's CPU is the caller's own
    /// owned CPU, this is [`LocalLock::lock_local`].
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 2 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// let s = oxmm::local_lock::LocalLock::new(1, 0i32);
    /// *s.lock_cpu(&P) -= 1;
    /// assert_eq!(*s.lock_cpu(&P), -1);
    /// ```
    pub fn lock_cpu<P: Platform + ?Sized>(&self, p: &P) -> LocalGuard<'_, T> {
        let me = p.this_cpu();
        if me.owned && me.id == self.cpu {
            return self.lock_local(p, me);
        }
        match self.enter_other(p, false) {
            Some(g) => g,
            None => self.owner_locked(),
        }
    }

    /// Close the slot to its CPU's owner for a batch of remote work (Linux:
    /// `drain_all_pages` / `flush_all` reaching every CPU at once): the first step of
    /// [`LocalLock::lock_closed`]. Returns whether the CPU has an owner, i.e. whether a
    /// [`Platform::barrier_owned_cpus`] must follow before the slots are taken; one
    /// barrier serves every slot closed before it. Each close needs its
    /// [`LocalLock::open_gate`].
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// let s = oxmm::local_lock::LocalLock::new(0, 5u8);
    /// if s.close_gate(&P) {
    ///     P.barrier_owned_cpus();
    /// }
    /// // SAFETY: the gate is closed and the barrier taken if the CPU had an owner.
    /// assert_eq!(*unsafe { s.lock_closed() }, 5);
    /// s.open_gate();
    /// ```
    pub fn close_gate<P: Platform + ?Sized>(&self, p: &P) -> bool {
        self.gate.fetch_add(1, SeqCst);
        p.cpu_owned(self.cpu)
    }

    /// Take a slot closed by [`LocalLock::close_gate`] (waiting for its owner to
    /// leave); the gate stays closed when the guard is dropped.
    ///
    /// # Safety
    /// The caller closed this slot's gate and has not opened it yet, and if
    /// `close_gate` returned true, called [`Platform::barrier_owned_cpus`] after that.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn cpu_ownership(&self) -> bool { true }
    /// #     fn cpu_owned(&self, cpu: usize) -> bool { cpu == 0 }
    /// # }
    /// use oxmm::local_lock::{LocalLock, ThisCpu};
    /// use oxmm::platform::Platform;
    /// // SAFETY: `P` reports CPU 0 owned, and this thread is its only user.
    /// let me = unsafe { ThisCpu::owned(0) };
    /// let s = LocalLock::new(0, 5u8);
    /// if s.close_gate(&P) {
    ///     P.barrier_owned_cpus();
    /// }
    /// // SAFETY: the gate is closed, after the barrier; it is opened below.
    /// *unsafe { s.lock_closed() } += 1;
    /// assert!(s.lock_owner(me).is_none()); // the guard is gone, the gate still closed
    /// s.open_gate();
    /// assert_eq!(*s.lock_local(&P, me), 6);
    /// ```
    pub unsafe fn lock_closed(&self) -> LocalGuard<'_, T> {
        while self.active.load(Acquire) {
            core::hint::spin_loop();
        }
        core::mem::forget(self.lock.lock());
        LocalGuard::new(self, Kind::Plain)
    }

    /// Reopen a gate closed by [`LocalLock::close_gate`].
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn cpu_ownership(&self) -> bool { true }
    /// #     fn cpu_owned(&self, cpu: usize) -> bool { cpu == 0 }
    /// # }
    /// use oxmm::local_lock::{LocalLock, ThisCpu};
    /// // SAFETY: `P` reports CPU 0 owned, and this thread is its only user.
    /// let me = unsafe { ThisCpu::owned(0) };
    /// let s = LocalLock::new(0, 5u8);
    /// assert!(s.close_gate(&P)); // CPU 0 has an owner
    /// assert!(s.lock_owner(me).is_none()); // the closed gate keeps it out
    /// s.open_gate();
    /// assert_eq!(s.lock_owner(me).map(|g| *g), Some(5));
    /// ```
    pub fn open_gate(&self) {
        self.gate.fetch_sub(1, Release);
    }

    /// The owner's way in: active, then the gate (see the module docs).
    #[inline(always)]
    fn owner_enter(&self) -> Option<LocalGuard<'_, T>> {
        self.active.store(true, Relaxed);
        // Only the compiler is kept from reordering: the other side's heavy barrier
        // orders the store and the load on this CPU.
        compiler_fence(SeqCst);
        if self.gate.load(Acquire) == 0 {
            return Some(LocalGuard::new(self, Kind::Owner));
        }
        // Somebody at the gate: rare, and the fast paths' layout should say so.
        cold_path();
        self.active.store(false, Release);
        None
    }

    #[cold]
    fn owner_locked(&self) -> LocalGuard<'_, T> {
        core::mem::forget(self.lock.lock());
        LocalGuard::new(self, Kind::OwnerLocked)
    }

    /// A non-owner's way in.
    #[inline]
    fn enter_other<P: Platform + ?Sized>(
        &self,
        p: &P,
        try_only: bool,
    ) -> Option<LocalGuard<'_, T>> {
        if !p.cpu_ownership() {
            // Nobody ever owns a CPU here: the spin lock alone, as Linux's pcp lock.
            let g = if try_only {
                self.lock.try_lock()?
            } else {
                self.lock.lock()
            };
            core::mem::forget(g);
            return Some(LocalGuard::new(self, Kind::Plain));
        }
        self.gate.fetch_add(1, SeqCst);
        if p.cpu_owned(self.cpu) {
            p.barrier_owned_cpus();
            while self.active.load(Acquire) {
                core::hint::spin_loop();
            }
        }
        let g = if try_only {
            match self.lock.try_lock() {
                Some(g) => g,
                None => {
                    self.gate.fetch_sub(1, Release);
                    return None;
                }
            }
        } else {
            self.lock.lock()
        };
        core::mem::forget(g);
        Some(LocalGuard::new(self, Kind::Gated))
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for LocalLock<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LocalLock")
            .field("cpu", &self.cpu)
            .field("active", &self.active.load(Relaxed))
            .field("gate", &self.gate.load(Relaxed))
            .field("locked", &self.lock.is_locked())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The owner, by the active flag.
    Owner,
    /// The owner, by the spin lock (the gate was closed).
    OwnerLocked,
    /// A non-owner on a platform without owners: the spin lock.
    Plain,
    /// A non-owner through the gate, with the spin lock.
    Gated,
}

/// Access to a [`LocalLock`]'s data; leaving gives the slot back.
///
/// ```
/// # struct P;
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for P {
/// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
/// # }
/// let s = oxmm::local_lock::LocalLock::new(0, vec![1]);
/// s.lock_cpu(&P).push(2);
/// assert_eq!(s.lock_cpu(&P).len(), 2);
/// ```
pub struct LocalGuard<'a, T> {
    slot: &'a LocalLock<T>,
    kind: Kind,
    // Not Send: an owner's guard must be left on the owner's thread.
    _not_send: PhantomData<*mut T>,
}

impl<'a, T> LocalGuard<'a, T> {
    #[inline(always)]
    fn new(slot: &'a LocalLock<T>, kind: Kind) -> Self {
        LocalGuard {
            slot,
            kind,
            _not_send: PhantomData,
        }
    }
}

impl<T> Deref for LocalGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the guard is the only way to the data, and guards exclude each other
        // (module docs).
        unsafe { &*self.slot.data.get() }
    }
}

impl<T> DerefMut for LocalGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`; `&mut self` makes this the only reference through
        // this guard.
        unsafe { &mut *self.slot.data.get() }
    }
}

/// `core::hint::cold_path` (Rust 1.95, above the crate's MSRV): the path that calls
/// it is unlikely, so the compiler lays out the other side as the fall-through.
///
/// ```
/// fn f(x: u32) -> u32 {
///     if x == 0 {
///         oxmm::local_lock::cold_path();
///         return 1;
///     }
///     x
/// }
/// assert_eq!(f(0), 1);
/// ```
#[rustversion::since(1.95)]
#[allow(clippy::incompatible_msrv)]
#[inline(always)]
pub fn cold_path() {
    core::hint::cold_path()
}

/// `core::hint::cold_path` where the compiler has it; nothing before Rust 1.95.
///
/// ```
/// fn f(x: u32) -> u32 {
///     if x == 0 {
///         oxmm::local_lock::cold_path();
///         return 1;
///     }
///     x
/// }
/// assert_eq!(f(0), 1);
/// assert_eq!(f(7), 7);
/// ```
#[rustversion::before(1.95)]
#[inline(always)]
pub fn cold_path() {}

impl<T> Drop for LocalGuard<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        let s = self.slot;
        match self.kind {
            Kind::Owner => s.active.store(false, Release),
            Kind::OwnerLocked | Kind::Plain => {
                // SAFETY: this guard took the lock (its guard was forgotten).
                unsafe { s.lock.force_unlock() }
            }
            Kind::Gated => {
                // SAFETY: as above.
                unsafe { s.lock.force_unlock() };
                s.gate.fetch_sub(1, Release);
            }
        }
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for LocalGuard<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        (**self).fmt(f)
    }
}
