//! What startup leaves resident that an idle server does not need, given back once the server
//! is ready (`server::run`, just before the port opens).
//!
//! - **Freed heap.** The parse trees of the service models (about 0.7 MiB) are freed once the
//!   models are built, but glibc keeps freed memory below live allocations; `malloc_trim`
//!   returns it. That is for glibc's allocator, which the library's users and the tests have;
//!   the binary's jemalloc (`main.rs`) holds freed pages for its decay time and returns them
//!   as it goes on allocating.
//! - **Startup code.** The kernel maps an executable's pages as they are first run, and maps
//!   the 64 KiB around each one with it ("fault-around"), so argument parsing, model parsing,
//!   regex compilation and the like leave some 6 MiB of our 9 MiB of code resident though the
//!   server never runs them again. Those pages are clean copies of the file: dropping them from
//!   the process (`MADV_DONTNEED`) leaves them in the page cache, and the code that requests do
//!   run maps back in on its first use, without a read from disk. The same holds for the
//!   shared libraries (libm, for one, is used only at startup). Only read-only file mappings
//!   with no copied-on-write page are dropped; relocated data (RELRO) and everything writable
//!   stay as they are.

/// Returns startup's freed heap and code to the system. Linux only; elsewhere a no-op.
pub fn release_startup_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the system; it may be called at any time.
    unsafe {
        libc::malloc_trim(0);
    }
    #[cfg(target_os = "linux")]
    drop_clean_code();
}

#[cfg(target_os = "linux")]
fn drop_clean_code() {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else { return };
    for (start, end) in clean_read_only_mappings(&smaps) {
        // SAFETY: the range is a whole file mapping that is read-only and has no private
        // (changed) pages, so every page equals the file's bytes and nothing can write
        // to it: dropping the pages only makes the next access map them again from the file.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
        }
    }
}

/// The address ranges of the file mappings in an `/proc/self/smaps` text that are read-only
/// (`r--p` or `r-xp`) and hold no page changed from the file: a page of a private file mapping
/// that was written to is a copy, counted as `Anonymous`. (`Private_Dirty` is no guide: it also
/// counts page-cache pages of a file written moments ago and not yet on disk.)
fn clean_read_only_mappings(smaps: &str) -> Vec<(usize, usize)> {
    struct Mapping {
        range: (usize, usize),
        candidate: bool,
        changed: bool,
    }
    let mut found = Vec::new();
    let mut current: Option<Mapping> = None;
    let mut finish = |mapping: Option<Mapping>| {
        if let Some(m) = mapping.filter(|m| m.candidate && !m.changed) {
            found.push(m.range);
        }
    };
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) =
                (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16))
        {
            finish(current.take());
            let perms = fields.next().unwrap_or_default();
            // offset, device, inode, then the path (which may hold spaces).
            let name = fields.nth(3).map(|_| line.splitn(6, char::is_whitespace).last());
            let name = name.flatten().unwrap_or_default().trim();
            current = Some(Mapping {
                range: (start, end),
                candidate: (perms == "r--p" || perms == "r-xp") && name.starts_with('/'),
                changed: false,
            });
        } else if let Some(mapping) = current.as_mut()
            && first == "Anonymous:"
            && fields.next().is_some_and(|kb| kb != "0")
        {
            mapping.changed = true;
        }
    }
    finish(current);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0a0000000-55d0a0100000 r--p 00000000 08:01 42                         /opt/ivs local/ivs-local
Rss:                 812 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
55d0a0100000-55d0a0900000 r-xp 00100000 08:01 42                         /opt/ivs local/ivs-local
Private_Dirty:      5816 kB
Anonymous:             0 kB
55d0a0900000-55d0a0960000 r--p 00900000 08:01 42                         /opt/ivs local/ivs-local
Private_Dirty:       380 kB
Anonymous:           380 kB
55d0a0960000-55d0a0970000 rw-p 00960000 08:01 42                         /opt/ivs local/ivs-local
Private_Dirty:        12 kB
7f0000000000-7f0000100000 r-xp 00000000 08:01 7                          /usr/lib/libc.so.6
Private_Dirty:         0 kB
7f0000200000-7f0000300000 rw-p 00000000 00:00 0 
Anonymous:           100 kB
7ffc00000000-7ffc00002000 r-xp 00000000 00:00 0                          [vdso]
";

    #[test]
    fn only_clean_read_only_file_mappings_are_dropped() {
        assert_eq!(
            clean_read_only_mappings(SMAPS),
            [
                (0x55d0a0000000, 0x55d0a0100000),
                (0x55d0a0100000, 0x55d0a0900000),
                (0x7f0000000000, 0x7f0000100000)
            ]
        );
    }

    #[test]
    fn dropping_the_code_of_a_running_test_is_harmless() {
        release_startup_memory();
        // Code and constant data map back in on use.
        assert_eq!(clean_read_only_mappings(SMAPS).len(), 3);
        assert_eq!(format!("{:?}", (1, "two")), "(1, \"two\")");
    }
}
