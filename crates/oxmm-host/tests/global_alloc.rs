//! A test binary whose every allocation goes through [`OxmmAlloc`]: alignment,
//! in-place `realloc`, large blocks, zeroed memory, and four threads freeing each
//! other's allocations.

use oxmm_host::global_alloc::OxmmAlloc;
use std::alloc::{alloc, alloc_zeroed, dealloc, realloc, Layout};

#[global_allocator]
static GLOBAL: OxmmAlloc = OxmmAlloc::new();

fn warm() {
    drop(vec![0u8; 16]);
    assert!(OxmmAlloc::ready(), "the heap machine boots on first use");
}

#[test]
fn small_and_large_allocations_come_from_the_machine() {
    warm();
    let v = std::hint::black_box(vec![7u8; 100]);
    assert!(OxmmAlloc::owns(v.as_ptr()));
    let big = vec![1u64; 100_000];
    assert!(OxmmAlloc::owns(big.as_ptr() as *const u8));
    assert_eq!(
        big.as_ptr() as usize % 4096,
        0,
        "large blocks are whole pages"
    );
    assert!(big.iter().all(|&x| x == 1));
    let s: String = (0..1000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    assert!(OxmmAlloc::owns(s.as_ptr()));
    assert_eq!(s.len(), 1000);
}

#[test]
fn alignment_is_honoured() {
    warm();
    for align in [1usize, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] {
        for size in [1usize, 24, 100, 1000, 5000, 20000] {
            let l = Layout::from_size_align(size, align).unwrap();
            // SAFETY: non-zero size.
            let p = unsafe { alloc(l) };
            assert!(!p.is_null());
            assert_eq!(p as usize % align, 0, "size {size} align {align}");
            // SAFETY: `p` holds `size` bytes.
            unsafe {
                p.write_bytes(0xab, size);
                dealloc(p, l);
            }
        }
    }
}

#[test]
fn realloc_grows_in_place_when_the_object_allows() {
    warm();
    let l = Layout::from_size_align(20, 8).unwrap();
    // SAFETY: valid layouts throughout; each pointer is used per its current size.
    unsafe {
        let p = alloc(l);
        p.write_bytes(0x11, 20);
        let q = realloc(p, l, 32); // kmalloc-32 holds it
        assert_eq!(p, q);
        let r = realloc(q, Layout::from_size_align(32, 8).unwrap(), 3000);
        assert_ne!(r, q);
        assert!(std::slice::from_raw_parts(r, 20).iter().all(|&b| b == 0x11));
        let s = realloc(r, Layout::from_size_align(3000, 8).unwrap(), 4096); // kmalloc-4k
        assert_eq!(r, s);
        let t = realloc(s, Layout::from_size_align(4096, 8).unwrap(), 30000);
        let u = realloc(t, Layout::from_size_align(30000, 8).unwrap(), 32768); // same block
        assert_eq!(t, u);
        assert!(std::slice::from_raw_parts(u, 20).iter().all(|&b| b == 0x11));
        dealloc(u, Layout::from_size_align(32768, 8).unwrap());
    }
}

#[test]
fn zeroed_allocations_are_zero() {
    warm();
    for size in [8usize, 64, 96, 700, 8192, 50000] {
        let l = Layout::from_size_align(size, 8).unwrap();
        // SAFETY: non-zero sizes; each block is dirtied, freed, then reallocated zeroed.
        unsafe {
            let p = alloc(l);
            p.write_bytes(0xff, size);
            dealloc(p, l);
            let z = alloc_zeroed(l);
            assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
            dealloc(z, l);
        }
    }
}

#[test]
fn threads_free_each_others_allocations() {
    warm();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<Box<[u8]>>>();
    let producers: Vec<_> = (0..3u8)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for round in 0..200usize {
                    let batch: Vec<Box<[u8]>> = (0..50usize)
                        .map(|i| {
                            let len = 1 + (round * 131 + i * 17 + t as usize * 7) % 3000;
                            vec![t.wrapping_add(i as u8); len].into_boxed_slice()
                        })
                        .collect();
                    tx.send(batch).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut n = 0;
    for batch in rx {
        for (i, b) in batch.iter().enumerate() {
            let t = b[0].wrapping_sub(i as u8);
            assert!(t < 3 && b.iter().all(|&x| x == t.wrapping_add(i as u8)));
            assert!(OxmmAlloc::owns(b.as_ptr()));
        }
        n += batch.len();
    }
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(n, 3 * 200 * 50);
}
