//! Sizes from users and files, checked before they are allocated.
//!
//! A request such as `sample -n 1000000000000`, a `.npy` header that claims 10¹² rows or a
//! checkpoint that claims a latent space of 10¹² dimensions must be a clear error, not an
//! abort of the whole process (Rust aborts when an allocation fails, and in Python that kills
//! the interpreter). [`check_memory`] compares what a step needs with what this process can
//! actually get: the smallest of the memory the system has available (`MemAvailable`), the
//! process's address-space limit (`RLIMIT_AS`, less what it already maps) and its cgroup's
//! limit (`memory.max`, less what the cgroup already uses). [`check_disk`] does the same for
//! an output file against its file system's free space.
//!
//! ```
//! use genmodels::core::memory::{bytes_for, check_memory};
//! // Ten rows of three f64 are fine; 10^12 rows are refused before anything is allocated.
//! assert!(check_memory("10 samples", bytes_for(&[10, 3], 8)).is_ok());
//! let err = check_memory("10^12 samples", bytes_for(&[1_000_000_000_000, 3], 8)).unwrap_err();
//! assert!(err.to_string().contains("10^12 samples"));
//! ```

use std::path::Path;

use super::error::ResourceError;

/// The bytes of an array of `dims` with elements of `elem` bytes, saturating instead of
/// overflowing (so an absurd size stays absurd rather than wrapping to a small one).
pub fn bytes_for(dims: &[usize], elem: usize) -> u128 {
    dims.iter()
        .fold(elem as u128, |acc, &d| acc.saturating_mul(d as u128))
}

/// The bytes this process can still allocate, when the system says (`None` where it cannot be
/// told, e.g. not Linux).
pub fn available_memory() -> Option<u64> {
    [mem_available(), address_space_left(), cgroup_left()]
        .into_iter()
        .flatten()
        .min()
}

/// Refuses a step that needs `bytes` when this process cannot have them (or when the size
/// does not even fit the address space).
pub fn check_memory(what: &str, bytes: u128) -> Result<(), ResourceError> {
    if bytes > isize::MAX as u128 {
        return Err(ResourceError::Memory {
            what: what.into(),
            needed: bytes,
            available: available_memory(),
        });
    }
    match available_memory() {
        Some(avail) if bytes > avail as u128 => Err(ResourceError::Memory {
            what: what.into(),
            needed: bytes,
            available: Some(avail),
        }),
        _ => Ok(()),
    }
}

/// Refuses `n` rows of `width` values of `elem` bytes (samples, say) that this process cannot
/// hold; `what` names the rows ("samples", "interpolation steps").
pub fn check_rows(what: &str, n: usize, width: usize, elem: usize) -> Result<(), ResourceError> {
    check_memory(
        &format!("{n} {what} of {width} values"),
        bytes_for(&[n, width], elem),
    )
}

/// Free bytes of the file system holding `path` (or its folder when it does not exist yet),
/// when the system says.
pub fn available_disk(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let dir = if path.is_dir() {
            path
        } else {
            match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            }
        };
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
        let mut s = std::mem::MaybeUninit::<libc::statvfs>::uninit();
        // SAFETY: statvfs fills `s` when it returns 0; `c` is a valid NUL-terminated path.
        if unsafe { libc::statvfs(c.as_ptr(), s.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: initialised by the successful call above.
        let s = unsafe { s.assume_init() };
        #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
        Some((s.f_bavail as u64).saturating_mul(s.f_frsize as u64))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Refuses an output of at least `bytes` to `path` when its file system has less free space.
/// Devices, FIFOs and standard output are not checked (they hold no data).
pub fn check_disk(path: &Path, bytes: u128) -> Result<(), ResourceError> {
    if path.as_os_str() == "-" || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
    {
        return Ok(());
    }
    match available_disk(path) {
        Some(avail) if bytes > avail as u128 => Err(ResourceError::Disk {
            path: path.into(),
            needed: bytes,
            available: avail,
        }),
        _ => Ok(()),
    }
}

/// A number of bytes for people: `1.5 GB`.
pub fn human_bytes(b: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else if v >= 1000.0 {
        format!("{v:.3e} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn read_kib_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib.saturating_mul(1024))
}

fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    read_kib_field(&text, "MemAvailable:")
}

fn address_space_left() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut r = std::mem::MaybeUninit::<libc::rlimit>::uninit();
        // SAFETY: getrlimit fills `r` when it returns 0.
        if unsafe { libc::getrlimit(libc::RLIMIT_AS, r.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: initialised by the successful call above.
        let r = unsafe { r.assume_init() };
        if r.rlim_cur == libc::RLIM_INFINITY {
            return None;
        }
        #[allow(clippy::unnecessary_cast)] // rlim_t differs between platforms
        let limit = r.rlim_cur as u64;
        let used = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|t| read_kib_field(&t, "VmSize:"))
            .unwrap_or(0);
        Some(limit.saturating_sub(used))
    }
    #[cfg(not(unix))]
    None
}

/// The memory left under this process's cgroup limit (v2 `memory.max`, or v1
/// `memory.limit_in_bytes`), less what the cgroup already uses.
fn cgroup_left() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    // v2: a line "0::/path".
    if let Some(rel) = cgroup.lines().find_map(|l| l.strip_prefix("0::")) {
        let dir = Path::new("/sys/fs/cgroup").join(rel.trim_start_matches('/'));
        for d in dir.ancestors() {
            if !d.starts_with("/sys/fs/cgroup") {
                break;
            }
            if let Ok(max) = std::fs::read_to_string(d.join("memory.max")) {
                if let Ok(max) = max.trim().parse::<u64>() {
                    let cur = std::fs::read_to_string(d.join("memory.current"))
                        .ok()
                        .and_then(|c| c.trim().parse::<u64>().ok())
                        .unwrap_or(0);
                    return Some(max.saturating_sub(cur));
                }
            }
        }
        return None;
    }
    // v1: the memory controller's line "N:memory:/path".
    let rel = cgroup.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let _ = parts.next();
        let ctl = parts.next()?;
        ctl.split(',')
            .any(|c| c == "memory")
            .then(|| parts.next())
            .flatten()
    })?;
    let d = Path::new("/sys/fs/cgroup/memory").join(rel.trim_start_matches('/'));
    let max: u64 = std::fs::read_to_string(d.join("memory.limit_in_bytes"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // An unlimited v1 group reports a huge number (close to i64::MAX).
    if max >= 1 << 60 {
        return None;
    }
    let used = std::fs::read_to_string(d.join("memory.usage_in_bytes"))
        .ok()
        .and_then(|c| c.trim().parse::<u64>().ok())
        .unwrap_or(0);
    Some(max.saturating_sub(used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_saturate_instead_of_wrapping() {
        assert_eq!(bytes_for(&[10, 3], 8), 240);
        assert_eq!(
            bytes_for(&[usize::MAX, usize::MAX, usize::MAX], 8),
            u128::MAX
        );
    }

    #[test]
    fn impossible_sizes_are_refused_and_small_ones_pass() {
        assert!(check_memory("a few rows", 1 << 20).is_ok());
        let e = check_memory("all the rows", bytes_for(&[1_000_000_000_000, 2], 8)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("all the rows") && msg.contains("16.0 TB"),
            "{msg}"
        );
        assert!(check_memory("too many", u128::MAX).is_err());
    }

    #[test]
    fn what_linux_reports_is_read() {
        if Path::new("/proc/meminfo").exists() {
            let m = mem_available().expect("MemAvailable is in /proc/meminfo");
            assert!(m > 0);
            assert!(available_memory().unwrap() <= m);
        }
    }

    #[test]
    fn disk_space_is_checked_for_files_not_devices() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        assert!(check_disk(&p, 10).is_ok());
        if available_disk(&p).is_some() {
            let e = check_disk(&p, u128::MAX).unwrap_err();
            assert!(e.to_string().contains("out.csv"), "{e}");
        }
        assert!(check_disk(Path::new("-"), u128::MAX).is_ok());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(1_500_000_000), "1.5 GB");
    }
}
