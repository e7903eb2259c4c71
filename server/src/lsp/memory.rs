//! Handing freed memory back to the system after a large document closes.
//!
//! glibc's allocator keeps freed memory in its arenas for reuse: after a
//! large document (its rope, its string, its tree-sitter tree, the JSON of the
//! didOpen) is dropped, the server's resident size stays where it peaked,
//! and a few opens and closes of an 11 MB file spread the peaks over several
//! arenas. `malloc_trim(0)` returns the free pages of every arena;
//! `docs/reliability.md` has the figures. Elsewhere (musl, macOS) this does
//! nothing.

/// Returns the allocator's free memory to the system (glibc only).
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only walks glibc's own arenas under their locks;
    // it has no preconditions and is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
