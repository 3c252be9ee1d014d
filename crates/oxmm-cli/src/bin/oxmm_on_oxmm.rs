//! `oxmm-on-oxmm`: the `oxmm` command with oxmm's own `GlobalAlloc` as its heap — every
//! `Vec`, `String` and `Box` of the command comes from a hosted oxmm machine's kmalloc
//! caches and page allocator. Its output must equal the plain `oxmm` command's.

#[cfg(not(feature = "oxmm-alloc"))]
#[global_allocator]
static GLOBAL: oxmm_host::global_alloc::OxmmAlloc = oxmm_host::global_alloc::OxmmAlloc::new();

#[path = "../main.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    let code = cli::main();
    if std::env::var_os("OXMM_HEAP_REPORT").is_some() {
        // Proof of use: the heap machine's kmalloc caches, on stderr.
        eprint!("{}", oxmm_host::global_alloc::OxmmAlloc::slabinfo());
    }
    code
}
