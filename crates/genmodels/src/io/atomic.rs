//! Output files that are never half-written, never damage what they replace, and never replace
//! what they should write through.
//!
//! [`write_atomic`] decides by what the path is:
//!
//! - `-` is standard output;
//! - a path that is not a regular file (a character device such as `/dev/null`, a FIFO, a
//!   socket) or that names an open descriptor (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`)
//!   is written directly, in place;
//! - a symbolic link is followed (relative and chained links too) and its final target is
//!   replaced, so the link stays a link;
//! - anything else is written to a temporary file in the target's folder, synced, and renamed
//!   over the target, so a reader sees the old file or the new one, never a mixture.
//!
//! Temporary files are named `.genmodels-<pid>.<start>-<random>.tmp`, where `<start>` is the
//! writing process's start time (Linux: clock ticks since boot, from `/proc/self/stat`). A
//! later write to the same folder removes the leftovers of writers that are dead (killed with
//! `kill -9`, say) and leaves a live writer's alone. A front end that handles SIGINT and SIGTERM
//! calls [`remove_live_temporaries`] before it exits, so an interrupted write leaves nothing.
//!
//! [`Staged`] writes several files as one: every file is complete in its temporary before any
//! of them is moved into place.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files this process is writing now (for [`remove_live_temporaries`]).
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// How many symbolic links are followed before a chain counts as a loop (Linux's limit).
const MAX_LINKS: usize = 40;

const TMP_PREFIX: &str = ".genmodels-";
const TMP_SUFFIX: &str = ".tmp";

/// Removes the temporary files of writes in progress in this process. For a signal handler
/// (SIGINT, SIGTERM) that is about to end the process: the writes are abandoned, and the
/// files they would have replaced are untouched.
pub fn remove_live_temporaries() {
    remove_live_in(None);
}

/// Removes the live temporaries (those under `dir` only, when given).
fn remove_live_in(dir: Option<&Path>) {
    let mut live = match LIVE.lock() {
        Ok(v) => v,
        Err(p) => p.into_inner(),
    };
    live.retain(|p| {
        if dir.is_none_or(|d| p.starts_with(d)) {
            let _ = std::fs::remove_file(p);
            false
        } else {
            true
        }
    });
}

fn register(p: &Path) {
    if let Ok(mut v) = LIVE.lock() {
        v.push(p.to_path_buf());
    }
}

fn unregister(p: &Path) {
    if let Ok(mut v) = LIVE.lock() {
        v.retain(|q| q != p);
    }
}

/// Where a write goes once the path has been looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output (the path `-`).
    Stdout,
    /// Written in place: a device, FIFO, socket or open descriptor.
    Direct(PathBuf),
    /// A regular file (or a new one) replaced atomically; symbolic links already followed.
    Replace(PathBuf),
}

/// Whether a path names an open file descriptor rather than a file.
fn is_descriptor_path(p: &Path) -> bool {
    p == Path::new("/dev/stdout")
        || p == Path::new("/dev/stderr")
        || p.starts_with("/dev/fd")
        || p.starts_with("/proc/self/fd")
        || p.starts_with("/proc/thread-self/fd")
        || (p.starts_with("/proc") && p.components().nth(3).is_some_and(|c| c.as_os_str() == "fd"))
}

/// Decides where a write to `path` goes: follows symbolic links to their final target and
/// tells regular files from devices, FIFOs and descriptors.
pub fn resolve(path: &Path) -> std::io::Result<Target> {
    if path.as_os_str() == "-" {
        return Ok(Target::Stdout);
    }
    let mut p = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        if is_descriptor_path(&p) {
            return Ok(Target::Direct(p));
        }
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = if to.is_absolute() {
                    to
                } else {
                    match p.parent() {
                        Some(dir) => dir.join(to),
                        None => to,
                    }
                };
            }
            Ok(m) if m.is_dir() => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "is a directory, not a file",
                ))
            }
            Ok(m) if m.is_file() => return Ok(Target::Replace(p)),
            Ok(_) => return Ok(Target::Direct(p)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Replace(p)),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links to follow (a loop?)"
    )))
}

/// Writes a file by calling `write` on a temporary file in the target's folder, then renaming
/// it over the target (see the [module](self) for devices, links and `-`). If `write` fails,
/// the temporary file is removed and the target is untouched.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("out.txt");
/// genmodels::io::write_atomic(&path, |w| w.write_all(b"hello")).unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello");
/// ```
pub fn write_atomic<F>(path: &Path, write: F) -> std::io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    match resolve(path)? {
        Target::Stdout => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            write(&mut w)?;
            w.flush()
        }
        Target::Direct(p) => {
            let f = std::fs::OpenOptions::new().write(true).open(&p)?;
            let mut w = std::io::BufWriter::new(f);
            write(&mut w)?;
            w.flush()
        }
        Target::Replace(p) => {
            let tmp = TempFile::create(&p)?;
            let tmp = tmp.fill(write)?;
            tmp.persist()
        }
    }
}

/// A temporary file next to its target, removed unless persisted.
struct TempFile {
    file: Option<tempfile::NamedTempFile>,
    target: PathBuf,
    tmp_path: PathBuf,
}

impl TempFile {
    fn create(target: &Path) -> std::io::Result<TempFile> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        remove_dead_temporaries(dir);
        let mut builder = tempfile::Builder::new();
        let prefix = format!("{TMP_PREFIX}{}-", writer_tag());
        builder.prefix(&prefix).suffix(TMP_SUFFIX);
        // An output file gets the permissions of an ordinary new file (0666 less the umask,
        // which the OS applies), or keeps those of the file it replaces; tempfile's default is
        // 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(target)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0o666);
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        let file = builder.tempfile_in(dir)?;
        let tmp_path = file.path().to_path_buf();
        register(&tmp_path);
        Ok(TempFile {
            file: Some(file),
            target: target.to_path_buf(),
            tmp_path,
        })
    }

    fn fill<F>(mut self, write: F) -> std::io::Result<TempFile>
    where
        F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
    {
        let file = self.file.as_mut().expect("present until persisted");
        {
            let mut buf = std::io::BufWriter::new(file.as_file_mut());
            write(&mut buf)?;
            buf.flush()?;
        }
        file.as_file().sync_all()?;
        Ok(self)
    }

    fn persist(mut self) -> std::io::Result<()> {
        let file = self.file.take().expect("present until persisted");
        let r = file.persist(&self.target).map(|_| ()).map_err(|e| e.error);
        unregister(&self.tmp_path);
        r
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // The NamedTempFile (if still here) removes its file as it drops.
        self.file.take();
        unregister(&self.tmp_path);
    }
}

/// Several output files written as one: each is complete (in a temporary file) before any is
/// moved into place, so a failure while writing leaves every target as it was.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let (a, b) = (dir.path().join("model.json"), dir.path().join("plot.svg"));
/// let mut staged = genmodels::io::atomic::Staged::new();
/// staged.add(&a, |w| w.write_all(b"{}")).unwrap();
/// staged.add(&b, |w| w.write_all(b"<svg/>")).unwrap();
/// assert!(!a.exists(), "nothing is in place before commit");
/// staged.commit().unwrap();
/// assert!(a.exists() && b.exists());
/// ```
#[derive(Default)]
pub struct Staged {
    files: Vec<TempFile>,
    direct: Vec<(Target, Vec<u8>)>,
}

impl Staged {
    /// Nothing staged yet.
    pub fn new() -> Staged {
        Staged::default()
    }

    /// Writes one file's content to its temporary (devices, FIFOs and `-` are buffered in
    /// memory and written at [`commit`](Self::commit)).
    pub fn add<F>(&mut self, path: &Path, write: F) -> std::io::Result<()>
    where
        F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
    {
        match resolve(path)? {
            Target::Replace(p) => {
                let tmp = TempFile::create(&p)?.fill(write)?;
                self.files.push(tmp);
            }
            t => {
                let mut buf = Vec::new();
                write(&mut buf)?;
                self.direct.push((t, buf));
            }
        }
        Ok(())
    }

    /// Moves every staged file into place. Renames within a folder do not fail for want of
    /// space, so once every content is written the rest is a few renames.
    pub fn commit(self) -> std::io::Result<()> {
        let Staged { files, direct } = self;
        for f in files {
            f.persist()?;
        }
        for (t, bytes) in direct {
            let path = match &t {
                Target::Direct(p) | Target::Replace(p) => p.clone(),
                Target::Stdout => PathBuf::from("-"),
            };
            write_atomic(&path, |w| w.write_all(&bytes))?;
        }
        Ok(())
    }
}

/// `<pid>.<start time>` of this process, which together tell it from any later process that
/// reuses the pid.
fn writer_tag() -> String {
    let pid = std::process::id();
    format!("{pid}.{}", start_time(pid).unwrap_or(0))
}

/// A process's start time in clock ticks since boot (field 22 of `/proc/PID/stat`), or `None`
/// when the process does not exist (or this is not Linux).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the writer named by a temporary file's tag is certainly gone.
fn writer_is_dead(tag: &str) -> bool {
    if !Path::new("/proc/self/stat").exists() {
        return false; // no way to tell here: keep the file
    }
    let Some((pid, start)) = tag.split_once('.') else {
        return false;
    };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return false;
    };
    match start_time(pid) {
        None => true,
        Some(s) => start != 0 && s != start,
    }
}

/// Removes the temporary files in `dir` left by writers that died before finishing.
fn remove_dead_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(middle) = name
            .strip_prefix(TMP_PREFIX)
            .and_then(|n| n.strip_suffix(TMP_SUFFIX))
        else {
            continue;
        };
        // `<pid>.<start>-<random>`; older versions wrote `<random>` only, which is left alone.
        let Some((tag, _)) = middle.split_once('-') else {
            continue;
        };
        if writer_is_dead(tag) && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        std::fs::write(&p, "precious").unwrap();
        let r = write_atomic(&p, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "precious");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left behind"
        );
        write_atomic(&p, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_and_stay_links() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let target = sub.join("real.json");
        std::fs::write(&target, "old").unwrap();
        // link2 -> link1 -> sub/real.json, both relative.
        let link1 = dir.path().join("link1");
        let link2 = dir.path().join("link2");
        std::os::unix::fs::symlink("sub/real.json", &link1).unwrap();
        std::os::unix::fs::symlink("link1", &link2).unwrap();
        write_atomic(&link2, |w| w.write_all(b"new")).unwrap();
        assert!(std::fs::symlink_metadata(&link2)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::symlink_metadata(&link1)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("sub/new.json", &dangling).unwrap();
        write_atomic(&dangling, |w| w.write_all(b"x")).unwrap();
        assert_eq!(std::fs::read_to_string(sub.join("new.json")).unwrap(), "x");
        // A loop is an error, not a hang.
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink("b", &a).unwrap();
        std::os::unix::fs::symlink("a", &b).unwrap();
        assert!(write_atomic(&a, |w| w.write_all(b"x")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo on a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_atomic(&fifo, |w| w.write_all(b"through")).unwrap();
        assert_eq!(reader.join().unwrap(), "through");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }

    #[test]
    fn dead_writers_leftovers_are_removed_live_ones_kept() {
        if !Path::new("/proc/self/stat").exists() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        // A pid that cannot exist (above the kernel's pid_max limit of 2^22).
        let dead = dir.path().join(".genmodels-4999999.12345-abcdef.tmp");
        // This very process, alive.
        let live = dir
            .path()
            .join(format!(".genmodels-{}-abcdef.tmp", writer_tag()));
        // An older version's name, whose writer cannot be told: kept.
        let old = dir.path().join(".genmodels-Xy12ab.tmp");
        // Our own pid with another start time: a dead process whose pid was reused.
        let reused = dir
            .path()
            .join(format!(".genmodels-{}.1-abcdef.tmp", std::process::id()));
        for p in [&dead, &live, &old, &reused] {
            std::fs::write(p, "x").unwrap();
        }
        write_atomic(&dir.path().join("out"), |w| w.write_all(b"y")).unwrap();
        assert!(!dead.exists());
        assert!(!reused.exists());
        assert!(live.exists());
        assert!(old.exists());
    }

    #[test]
    fn live_temporaries_are_registered_and_removed_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        let r = write_atomic(&p, |w| {
            w.write_all(b"half")?;
            // What a signal handler does mid-write (to this folder's temporaries only, so
            // that the tests writing elsewhere at the same time keep theirs).
            let n = std::fs::read_dir(dir.path()).unwrap().count();
            assert_eq!(n, 1, "the temporary exists while writing");
            remove_live_in(Some(dir.path()));
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
            Err(std::io::Error::other("interrupted"))
        });
        assert!(r.is_err());
        assert!(!p.exists());
    }

    #[test]
    fn staged_writes_all_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let b = dir.path().join("b.txt");
        std::fs::write(&a, "old a").unwrap();
        let mut s = Staged::new();
        s.add(&a, |w| w.write_all(b"new a")).unwrap();
        let failed = s.add(&b, |_| Err(std::io::Error::other("boom")));
        assert!(failed.is_err());
        drop(s);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert!(!b.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
