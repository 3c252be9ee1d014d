//! Boot-time memory allocator (Linux: mm/memblock.c). Being written.
