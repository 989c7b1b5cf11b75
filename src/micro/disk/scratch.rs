//! The files `rhpcc micro disk` writes, and how none of them outlives it.
//!
//! Where the filesystem allows it a file is opened with `O_TMPFILE`: an
//! inode in `--dir` with no name, which the kernel frees when its last
//! descriptor closes, so nothing is left behind even when the process is
//! killed with SIGKILL. Elsewhere (filesystems without `O_TMPFILE`, or the
//! hidden `--no-tmpfile` test switch) the file is created as
//! `.rhpcc-disk-<pid>.tmp` in `--dir` and unlinked right after its `open`
//! (as `tmpfile(3)` does), so that it too is nameless while it is written.
//! A SIGINT/SIGTERM/SIGHUP handler removes the name should a signal fall
//! between the `open` and the `unlink`, then lets the signal do what it
//! did before (end the process, by default), and [`Scratch`]'s drop
//! removes it if the `unlink` failed.
//!
//! Why not keep the name while writing and rely on the handler: mpirun
//! stopped with SIGTERM sends SIGTERM to every rank, and as soon as one of
//! them dies of it, it aborts the job and SIGKILLs the others, often
//! before the writer has run its handler (seen with Open MPI 4.1 and two
//! ranks: the file was left behind in about a third of the runs).
//!
//! `O_DIRECT` needs the buffer, the file offset and the length aligned;
//! [`AlignedBuf`] is page-aligned (4096 B, enough for every memory
//! alignment Linux asks for) and [`probe_direct`] finds the length/offset
//! alignment by trial writes.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Mutex, OnceLock};

/// Memory alignment of [`AlignedBuf`].
pub const BUFFER_ALIGN: usize = 4096;

/// Largest O_DIRECT alignment [`probe_direct`] tries.
pub const MAX_DIRECT_ALIGN: usize = 65536;

/// How files are made in a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// `O_TMPFILE`: no name, freed by the kernel at the last close.
    Unnamed,
    /// `.rhpcc-disk-<pid>.tmp`, unlinked right after its open.
    Named,
}

/// An open file in `--dir` that is gone once this is dropped.
#[derive(Debug)]
pub struct Scratch {
    file: File,
    /// The name, for a [`Naming::Named`] file whose unlink failed.
    path: Option<PathBuf>,
}

impl Scratch {
    /// Create an empty file in `dir` for reading and writing, with
    /// `O_DIRECT` when `direct`.
    pub fn create(dir: &Path, naming: Naming, direct: bool) -> io::Result<Scratch> {
        let extra = if direct { libc::O_DIRECT } else { 0 };
        match naming {
            Naming::Unnamed => {
                let c = CString::new(dir.as_os_str().as_bytes())
                    .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
                let flags = libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC | extra;
                // SAFETY: `c` is a valid C string; a non-negative result is
                // a descriptor nobody else owns.
                let fd = unsafe { libc::open(c.as_ptr(), flags, 0o600 as libc::c_uint) };
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                // SAFETY: `fd` was just opened and is owned by the File.
                let file = unsafe { File::from_raw_fd(fd) };
                Ok(Scratch { file, path: None })
            }
            Naming::Named => {
                let path = dir.join(format!(".rhpcc-disk-{}.tmp", std::process::id()));
                install_handler();
                // Armed before the file exists, so that no signal falls
                // between its creation and the handler knowing it.
                arm(&path)?;
                let opened = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_CLOEXEC | extra)
                    .open(&path);
                match opened {
                    Ok(file) => {
                        // Nameless from here on; if the unlink fails, the
                        // handler and drop keep the name in mind.
                        let path = match std::fs::remove_file(&path) {
                            Ok(()) => {
                                disarm();
                                None
                            }
                            Err(_) => Some(path),
                        };
                        Ok(Scratch { file, path })
                    }
                    Err(e) => {
                        // Not ours (EEXIST) or never made: do not remove.
                        disarm();
                        Err(e)
                    }
                }
            }
        }
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    pub fn file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Close the descriptor the data was written through, keeping the file
    /// open (and, if unnamed, alive) through a duplicate taken just before.
    pub fn close_keeping_open(&mut self) -> io::Result<()> {
        let dup = self.file.try_clone()?;
        let written = std::mem::replace(&mut self.file, dup);
        // Closed by hand, not by drop, so that close's error is seen.
        let fd = std::os::fd::IntoRawFd::into_raw_fd(written);
        // SAFETY: `fd` was released by its File and is closed once.
        if unsafe { libc::close(fd) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Drop the file's clean pages from the page cache, so that the next
    /// reads come from the device.
    pub fn drop_cache(&self) -> io::Result<()> {
        // SAFETY: a valid descriptor; advice only.
        let rc =
            unsafe { libc::posix_fadvise(self.file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
            disarm();
        }
    }
}

/// A zeroed byte buffer whose start is aligned to [`BUFFER_ALIGN`], as
/// `O_DIRECT` needs (safe code: an over-sized vector and an offset).
pub struct AlignedBuf {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    pub fn new(len: usize) -> AlignedBuf {
        let raw = vec![0u8; len + BUFFER_ALIGN];
        let start = raw.as_ptr().align_offset(BUFFER_ALIGN);
        AlignedBuf { raw, start, len }
    }
}

impl std::ops::Deref for AlignedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }
}

impl std::ops::DerefMut for AlignedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.raw[self.start..self.start + self.len]
    }
}

/// Whether `dir` takes `O_TMPFILE` files: `(Unnamed, None)`, or
/// `(Named, why not)` when it refuses them but takes a named file. An
/// error means neither could be made (the directory is not writable).
pub fn probe_naming(dir: &Path, allow_unnamed: bool) -> io::Result<(Naming, Option<String>)> {
    let why = if allow_unnamed {
        match Scratch::create(dir, Naming::Unnamed, false) {
            Ok(_) => return Ok((Naming::Unnamed, None)),
            // EOPNOTSUPP: the filesystem has no O_TMPFILE; EISDIR: a kernel
            // older than 3.11 (O_TMPFILE contains O_DIRECTORY); EINVAL:
            // flags this filesystem does not know.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
                ) =>
            {
                format!("O_TMPFILE refused ({e})")
            }
            Err(e) => return Err(e),
        }
    } else {
        "O_TMPFILE not used (--no-tmpfile)".to_string()
    };
    Scratch::create(dir, Naming::Named, false)?;
    Ok((Naming::Named, Some(why)))
}

/// The length (and offset) alignment `O_DIRECT` writes in `dir` need: the
/// smallest power of two from 64 B to [`MAX_DIRECT_ALIGN`] that a write of
/// that length at offset 0 accepts; `Err(why)` when the filesystem refuses
/// `O_DIRECT` (tmpfs on older kernels: EINVAL at open) or every length.
pub fn probe_direct(dir: &Path, naming: Naming) -> Result<u64, String> {
    let scratch = Scratch::create(dir, naming, true)
        .map_err(|e| format!("the filesystem refuses O_DIRECT ({e})"))?;
    let buf = AlignedBuf::new(MAX_DIRECT_ALIGN);
    let mut last = String::new();
    let mut n = 64;
    while n <= MAX_DIRECT_ALIGN {
        match scratch.file().write_at(&buf[..n], 0) {
            Ok(w) if w == n => return Ok(n as u64),
            Ok(w) => last = format!("{w} of {n} B written"),
            Err(e) => last = e.to_string(),
        }
        n *= 2;
    }
    Err(format!(
        "no O_DIRECT write of 64 B to {MAX_DIRECT_ALIGN} B was accepted (last: {last})"
    ))
}

/// The named file the handler removes, while [`ARMED`].
static PATH: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());
static ARMED: AtomicBool = AtomicBool::new(false);
/// The path behind [`PATH`], to reuse its C string for the same name (the
/// handler may read it at any time, so a string once published is never
/// freed).
static PUBLISHED: Mutex<Option<&'static std::ffi::CStr>> = Mutex::new(None);

const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];
/// The actions the handler replaced, restored before it re-raises.
static PREVIOUS: OnceLock<[libc::sigaction; 3]> = OnceLock::new();

fn arm(path: &Path) -> io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut published = PUBLISHED.lock().unwrap_or_else(|p| p.into_inner());
    let s: &'static std::ffi::CStr = match *published {
        Some(s) if s == c.as_c_str() => s,
        _ => Box::leak(c.into_boxed_c_str()),
    };
    *published = Some(s);
    PATH.store(s.as_ptr().cast_mut(), Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    Ok(())
}

fn disarm() {
    ARMED.store(false, Ordering::SeqCst);
}

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe calls: unlink, sigaction, raise.
    if ARMED.load(Ordering::SeqCst) {
        let p = PATH.load(Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: PATH points at a leaked, never freed C string.
            unsafe { libc::unlink(p) };
        }
    }
    if let (Some(prev), Some(i)) = (PREVIOUS.get(), SIGNALS.iter().position(|&s| s == sig)) {
        // SAFETY: restoring an action the kernel gave us; the re-raised
        // signal stays blocked until this handler returns, then takes
        // that action (by default: end the process).
        unsafe {
            libc::sigaction(sig, &prev[i], std::ptr::null_mut());
            libc::raise(sig);
        }
    }
}

/// Install [`on_signal`] for SIGINT, SIGTERM and SIGHUP, once, except where
/// a signal is ignored (`nohup`), which stays ignored.
fn install_handler() {
    PREVIOUS.get_or_init(|| {
        // SAFETY: plain sigaction calls on zero-initialized structs.
        unsafe {
            let mut ours: libc::sigaction = std::mem::zeroed();
            ours.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut ours.sa_mask);
            let mut previous: [libc::sigaction; 3] = std::mem::zeroed();
            for (i, &sig) in SIGNALS.iter().enumerate() {
                libc::sigaction(sig, std::ptr::null(), &mut previous[i]);
                if previous[i].sa_sigaction != libc::SIG_IGN {
                    libc::sigaction(sig, &ours, std::ptr::null_mut());
                }
            }
            previous
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn aligned_buffer_is_aligned() {
        for n in [64, 100, 4096, 262_144] {
            let b = AlignedBuf::new(n);
            assert_eq!(b.len(), n);
            assert_eq!(b.as_ptr() as usize % BUFFER_ALIGN, 0);
        }
    }

    #[test]
    fn files_have_no_name_while_open() {
        let dir = tempfile::tempdir().unwrap();
        for naming in [Naming::Named, Naming::Unnamed] {
            let s = match Scratch::create(dir.path(), naming, false) {
                Ok(s) => s,
                // A /tmp without O_TMPFILE: the named case still ran.
                Err(e) if naming == Naming::Unnamed => {
                    eprintln!("O_TMPFILE unsupported here: {e}");
                    continue;
                }
                Err(e) => panic!("{e}"),
            };
            s.file().write_at(b"data", 0).unwrap();
            assert_eq!(s.file().metadata().unwrap().nlink(), 0, "{naming:?}");
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
            assert!(!ARMED.load(Ordering::SeqCst));
        }
    }

    #[test]
    fn kept_duplicate_reads_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let (naming, _) = probe_naming(dir.path(), true).unwrap();
        let mut s = Scratch::create(dir.path(), naming, false).unwrap();
        s.file().write_at(b"abcdef", 0).unwrap();
        s.close_keeping_open().unwrap();
        let mut got = [0u8; 6];
        s.file().read_exact_at(&mut got, 0).unwrap();
        assert_eq!(&got, b"abcdef");
    }
}
