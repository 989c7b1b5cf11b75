//! `rhpcc micro disk`: a large file written with block sizes from 64 B to
//! 256 KiB, the paper's Figure 4 (dd with several block sizes, 10 runs, 95%
//! confidence intervals), in three modes:
//!
//! * `buffered`: open, write the blocks, close, no sync in the time. What a
//!   guest that acknowledges writes before they reach the disk shows (the
//!   paper's Xen PV, faster than the host); mostly the page cache.
//! * `fsync`: the same with `fsync` before the close, inside the time.
//! * `direct`: `O_DIRECT` writes from a page-aligned buffer and `fsync` at
//!   the end, inside the time. Only where the filesystem of `--dir` takes
//!   `O_DIRECT` (probed at open: tmpfs of older kernels refuses it with
//!   EINVAL; Linux 6.18's takes 64-byte writes) and only for block sizes
//!   that are multiples of the alignment it needs (probed by trial writes:
//!   the device's logical block size, usually 512 or 4096 B); other steps
//!   are skipped and say why.
//!
//! # Rules
//!
//! * One step = one (mode, block size): a new file receives `--size` bytes
//!   as `--size / block` writes of one block each. MB/s = bytes / (time
//!   from the `open` to the `close` of the writing descriptor, `fsync`
//!   included where the mode has one) / 10^6.
//! * Who writes: the first rank of each host ([`super::host_ranks`]); the
//!   other ranks only wait. Every step starts on every host at once after a
//!   barrier, because VMs sharing a node share its disk. Each figure is the
//!   mean over the hosts, with the per-host values as samples; `--repeat`
//!   repeats the whole sweep (the paper does 10; `rhpcc compare` gives the
//!   95% CI over the repetitions).
//! * After the timed close, untimed: a duplicate descriptor taken just
//!   before the close keeps the file; in `buffered` mode it is fsynced (so
//!   that the next step starts with no dirty pages and the device count
//!   includes the writeback); the page cache of the file is dropped
//!   (`POSIX_FADV_DONTNEED`; `O_DIRECT` reads for `direct`), and the file
//!   is read back: its length, and 64 blocks spread over it (all when fewer)
//!   compared with what was written. Every block starts with its index
//!   mixed with a per-step seed, the rest a pseudo-random pattern of that
//!   seed, so a lost, short, misplaced or zeroed block is seen. A
//!   difference fails the run (`--inject-fault` corrupts one block to show
//!   it does).
//! * Bytes the device wrote, per mode: a sweep of the block sizes is
//!   bracketed by `syncfs` on `--dir` and a reading of the device's
//!   sectors written (`/proc/diskstats`) and of the cgroup v2 `io.stat`
//!   `wbytes` of the process's cgroup (see [`counters`]).
//!   `MicroDisk_<Mode>_DeviceWriteRatio` = device bytes / file bytes
//!   (the paper saw a virtual disk write 1.7 GB for a 1 GB file);
//!   `MicroDisk_<Mode>_CgroupWriteRatio` the same from `io.stat`. Writers
//!   on one kernel (same `boot_id`: namespaces or containers of one
//!   machine) reading the same counter each see all of their writes, so
//!   they make one sample: the counter's bytes over the file bytes of all
//!   of them; otherwise one sample per host. The diskstats count includes
//!   every other writer on that device (journal, other processes, other
//!   guests' images on a shared host disk), the cgroup count only this
//!   cgroup's. Inside a VM both count what the guest sent to its virtual
//!   disk, not what the host wrote for it (the paper's 1.7 GB was seen on
//!   the host, with blktrace). Where nothing is exposed (tmpfs, overlayfs,
//!   no cgroup v2 `io.stat`) the ratio is absent and the section says why.
//! * Files leave nothing behind, even on SIGKILL: `O_TMPFILE` where
//!   possible, otherwise a named file unlinked right after its `open`
//!   (inside the time), with a SIGINT/SIGTERM/SIGHUP handler for the
//!   moment between the two (see [`scratch`]).
//! * Before anything is written, each writer checks that the filesystem of
//!   `--dir` has `--size` plus a margin (32 MiB + 1%) free for every writer
//!   sharing it (writers on one kernel, per `boot_id`, with the same
//!   `st_dev`); otherwise the run is refused, naming the directory, the
//!   free and the needed bytes.

pub mod counters;
pub mod scratch;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use mpi::traits::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{agree_all, all_gather_bytes, host_ranks, Common};
use crate::report::{Metric, TestResult, Verification};
use crate::world::World;
use counters::{BlockDevice, CgroupIo};
use scratch::{AlignedBuf, Naming, Scratch};

/// Every block size the benchmark knows: the powers of two 64 B..256 KiB.
pub const BLOCK_SIZES: [u64; 13] = [
    64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144,
];

/// Labels of [`BLOCK_SIZES`] for tables and plots.
pub const BLOCK_LABELS: [&str; 13] = [
    "64 B", "128 B", "256 B", "512 B", "1 KiB", "2 KiB", "4 KiB", "8 KiB", "16 KiB", "32 KiB",
    "64 KiB", "128 KiB", "256 KiB",
];

/// The paper's block sizes (Figure 4), the default sweep.
pub const PAPER_BLOCK_SIZES: &str = "64,512,4096,32768,262144";

macro_rules! mode_keys {
    ($mode:literal) => {
        [
            concat!("MicroDisk_", $mode, "_MBs_64"),
            concat!("MicroDisk_", $mode, "_MBs_128"),
            concat!("MicroDisk_", $mode, "_MBs_256"),
            concat!("MicroDisk_", $mode, "_MBs_512"),
            concat!("MicroDisk_", $mode, "_MBs_1024"),
            concat!("MicroDisk_", $mode, "_MBs_2048"),
            concat!("MicroDisk_", $mode, "_MBs_4096"),
            concat!("MicroDisk_", $mode, "_MBs_8192"),
            concat!("MicroDisk_", $mode, "_MBs_16384"),
            concat!("MicroDisk_", $mode, "_MBs_32768"),
            concat!("MicroDisk_", $mode, "_MBs_65536"),
            concat!("MicroDisk_", $mode, "_MBs_131072"),
            concat!("MicroDisk_", $mode, "_MBs_262144"),
        ]
    };
}

/// Summary keys (see `compare::metrics`): MB/s per block size, in the
/// order of [`BLOCK_SIZES`], and bytes written by the device per file byte.
pub const KEYS_BUFFERED: [&str; 13] = mode_keys!("Buffered");
pub const KEYS_FSYNC: [&str; 13] = mode_keys!("Fsync");
pub const KEYS_DIRECT: [&str; 13] = mode_keys!("Direct");
pub const KEY_BUFFERED_DEVICE_RATIO: &str = "MicroDisk_Buffered_DeviceWriteRatio";
pub const KEY_FSYNC_DEVICE_RATIO: &str = "MicroDisk_Fsync_DeviceWriteRatio";
pub const KEY_DIRECT_DEVICE_RATIO: &str = "MicroDisk_Direct_DeviceWriteRatio";
pub const KEY_BUFFERED_CGROUP_RATIO: &str = "MicroDisk_Buffered_CgroupWriteRatio";
pub const KEY_FSYNC_CGROUP_RATIO: &str = "MicroDisk_Fsync_CgroupWriteRatio";
pub const KEY_DIRECT_CGROUP_RATIO: &str = "MicroDisk_Direct_CgroupWriteRatio";

/// Blocks read back per file (all of them when the file has fewer).
const SAMPLED_BLOCKS: u64 = 64;

/// How a file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Buffered,
    Fsync,
    Direct,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Buffered, Mode::Fsync, Mode::Direct];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Buffered => "buffered",
            Mode::Fsync => "fsync",
            Mode::Direct => "direct",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Mode::Buffered => "Buffered",
            Mode::Fsync => "Fsync",
            Mode::Direct => "Direct",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Mode::Buffered => "open, write, close; no sync in the time",
            Mode::Fsync => "open, write, fsync, close",
            Mode::Direct => "open with O_DIRECT, write from an aligned buffer, fsync, close",
        }
    }

    pub fn keys(self) -> &'static [&'static str; 13] {
        match self {
            Mode::Buffered => &KEYS_BUFFERED,
            Mode::Fsync => &KEYS_FSYNC,
            Mode::Direct => &KEYS_DIRECT,
        }
    }

    pub fn device_ratio_key(self) -> &'static str {
        match self {
            Mode::Buffered => KEY_BUFFERED_DEVICE_RATIO,
            Mode::Fsync => KEY_FSYNC_DEVICE_RATIO,
            Mode::Direct => KEY_DIRECT_DEVICE_RATIO,
        }
    }

    pub fn cgroup_ratio_key(self) -> &'static str {
        match self {
            Mode::Buffered => KEY_BUFFERED_CGROUP_RATIO,
            Mode::Fsync => KEY_FSYNC_CGROUP_RATIO,
            Mode::Direct => KEY_DIRECT_CGROUP_RATIO,
        }
    }
}

/// `--block-sizes`, ascending, without repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSizes(pub Vec<u64>);

/// `--modes`, in the order given, without repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Modes(pub Vec<Mode>);

/// A byte count: digits and an optional unit, `K`/`M`/`G`/`T` (or `KiB`
/// ...) for powers of 1024, `KB`/`MB`/`GB`/`TB` for powers of 1000, as dd.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a byte count (e.g. 4096, 512K, 256M, 1G)"))?;
    let scale: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KIB" => 1 << 10,
        "M" | "MIB" => 1 << 20,
        "G" | "GIB" => 1 << 30,
        "T" | "TIB" => 1 << 40,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        _ => {
            return Err(format!(
                "'{s}': unknown unit '{unit}' (K, M, G, T: powers of 1024; KB, MB, GB, TB: of 1000)"
            ))
        }
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("'{s}' is more than 2^64 - 1 bytes"))
}

/// `all`, or a comma list of powers of two from 64 to 262144 (units as
/// [`parse_size`]: `4K` is 4096).
pub fn parse_block_sizes(s: &str) -> Result<BlockSizes, String> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(BlockSizes(BLOCK_SIZES.to_vec()));
    }
    let mut sizes = Vec::new();
    for item in s.split(',').map(str::trim) {
        let n = parse_size(item).ok().filter(|n| BLOCK_SIZES.contains(n));
        match n {
            Some(n) if !sizes.contains(&n) => sizes.push(n),
            Some(_) => {}
            None => {
                return Err(format!(
                    "block size '{item}' is not a power of two from 64 to 262144 \
                     (give a comma list such as {PAPER_BLOCK_SIZES}, or 'all')"
                ))
            }
        }
    }
    sizes.sort_unstable();
    Ok(BlockSizes(sizes))
}

/// A comma list of `buffered`, `fsync`, `direct`.
pub fn parse_modes(s: &str) -> Result<Modes, String> {
    let mut modes = Vec::new();
    for item in s.split(',').map(str::trim) {
        let mode = Mode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(item))
            .ok_or_else(|| {
                format!(
                    "unknown mode '{item}' (expected buffered, fsync or direct, comma-separated)"
                )
            })?;
        if !modes.contains(&mode) {
            modes.push(mode);
        }
    }
    Ok(Modes(modes))
}

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// Directory to write in, on the disk to measure (every host's own;
    /// relative to each rank's working directory). Its filesystem needs
    /// --size plus a margin (32 MiB + 1%) free per writer sharing it.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Bytes written per block size and mode, e.g. 4096, 512K, 256M, 1G
    /// (K, M, G, T: powers of 1024; KB, MB, GB, TB: of 1000); a multiple of
    /// the largest block size. The default, 256 MiB (3.75 GiB in a default
    /// run of 5 block sizes x 3 modes), takes about a minute on a disk that
    /// writes a few hundred MB/s; the slowest step is 512 B O_DIRECT
    /// (524288 synchronous writes: about 40 s on a virtio disk that does
    /// 13000 a second). Buffered mode measures the page cache unless
    /// --size exceeds it.
    #[arg(long, value_name = "BYTES", default_value = "256M", value_parser = parse_size)]
    pub size: u64,

    /// Block sizes in bytes: a comma list of powers of two from 64 to
    /// 262144, or `all` (every one). The default is the paper's.
    #[arg(long, value_name = "LIST", default_value = PAPER_BLOCK_SIZES, value_parser = parse_block_sizes)]
    pub block_sizes: BlockSizes,

    /// Modes, a comma list of `buffered` (write, close: no sync),
    /// `fsync` (fsync before the close, in the time) and `direct`
    /// (O_DIRECT, fsync at the end; only where the filesystem allows it and
    /// for block sizes that are multiples of its alignment).
    #[arg(long, value_name = "LIST", default_value = "buffered,fsync,direct", value_parser = parse_modes)]
    pub modes: Modes,

    /// Testing only: corrupt one block of each file after it is written,
    /// to check that the read-back fails the run.
    #[arg(long, hide = true)]
    pub inject_fault: bool,

    /// Testing only: named files (unlinked once open) even where
    /// O_TMPFILE works, to exercise the fallback.
    #[arg(long, hide = true)]
    pub no_tmpfile: bool,

    #[command(flatten)]
    pub common: Common,
}

impl Args {
    pub fn parameters(&self) -> Value {
        json!({
            "dir": self.dir,
            "size_bytes": self.size,
            "block_sizes": self.block_sizes.0,
            "modes": self.modes.0.iter().map(|m| m.name()).collect::<Vec<_>>(),
        })
    }

    fn check(&self) -> anyhow::Result<()> {
        let largest = self.block_sizes.0.iter().copied().max().unwrap_or(64);
        if self.size == 0 || !self.size.is_multiple_of(largest) {
            bail!(
                "--size {}: expected a positive multiple of the largest block size, {largest} B \
                 (e.g. {})",
                self.size,
                (self.size / largest).max(1) * largest
            );
        }
        Ok(())
    }
}

/// Free space asked for beyond `--size`, per writer.
fn margin(size: u64) -> u64 {
    (32 << 20) + size / 100
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The pattern of every block of a step (before its index is stamped).
fn fill_pattern(buf: &mut [u8], seed: u64) {
    for (i, chunk) in buf.chunks_mut(8).enumerate() {
        let w = splitmix64(seed ^ (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        chunk.copy_from_slice(&w.to_le_bytes()[..chunk.len()]);
    }
}

/// Mark block `index` of a step: its first 8 bytes.
fn stamp(buf: &mut [u8], index: u64, seed: u64) {
    buf[..8].copy_from_slice(&(index ^ splitmix64(seed)).to_le_bytes());
}

/// The blocks read back out of `count`: `n` spread evenly, first and last
/// included (all when `count <= n`).
fn sample_blocks(count: u64, n: u64) -> Vec<u64> {
    if count <= n {
        (0..count).collect()
    } else {
        (0..n).map(|k| k * (count - 1) / (n - 1)).collect()
    }
}

/// One timed file write and its read-back.
#[derive(Clone, Debug, PartialEq)]
struct StepOutcome {
    seconds: f64,
    bytes: u64,
    /// Length of the file after the write (should be `bytes`).
    length: u64,
    checked: u64,
    bad: u64,
}

/// Write `count` blocks of `block` bytes to a new file in `dir` in `mode`,
/// timed from open to close, then read it back (untimed; see the module
/// doc).
fn write_step(
    dir: &Path,
    naming: Naming,
    mode: Mode,
    block: u64,
    count: u64,
    seed: u64,
    inject_fault: bool,
) -> anyhow::Result<StepOutcome> {
    let bs = block as usize;
    let direct = mode == Mode::Direct;
    let what = |doing: &str| {
        format!(
            "{doing} ({} write of {count} x {block} B in {})",
            mode.name(),
            dir.display()
        )
    };
    let mut buf = AlignedBuf::new(bs);
    fill_pattern(&mut buf, seed);

    let t0 = Instant::now();
    let mut scratch =
        Scratch::create(dir, naming, direct).with_context(|| what("creating the file"))?;
    for i in 0..count {
        stamp(&mut buf, i, seed);
        scratch
            .file_mut()
            .write_all(&buf)
            .with_context(|| what(&format!("writing block {i}")))?;
    }
    if mode != Mode::Buffered {
        scratch.file().sync_all().with_context(|| what("fsync"))?;
    }
    scratch
        .close_keeping_open()
        .with_context(|| what("close"))?;
    let seconds = t0.elapsed().as_secs_f64();

    if mode == Mode::Buffered {
        scratch
            .file()
            .sync_all()
            .with_context(|| what("fsync after the timed close"))?;
    }
    if inject_fault {
        stamp(&mut buf, 0, seed);
        buf[bs - 1] ^= 0xff;
        scratch
            .file()
            .write_all_at(&buf, 0)
            .and_then(|()| scratch.file().sync_all())
            .with_context(|| what("injecting a fault"))?;
    }
    if !direct {
        scratch
            .drop_cache()
            .with_context(|| what("dropping the page cache"))?;
    }
    let length = scratch
        .file()
        .metadata()
        .with_context(|| what("fstat"))?
        .len();
    let mut want = AlignedBuf::new(bs);
    fill_pattern(&mut want, seed);
    let mut got = AlignedBuf::new(bs);
    let samples = sample_blocks(count, SAMPLED_BLOCKS);
    let mut bad = 0;
    for &i in &samples {
        if length < (i + 1) * block {
            bad += 1;
            continue;
        }
        stamp(&mut want, i, seed);
        scratch
            .file()
            .read_exact_at(&mut got, i * block)
            .with_context(|| what(&format!("reading block {i} back")))?;
        bad += u64::from(got[..] != want[..]);
    }
    Ok(StepOutcome {
        seconds,
        bytes: count * block,
        length,
        checked: samples.len() as u64,
        bad,
    })
}

/// Which kernel this is: its `boot_id`, shared by the network namespaces
/// (or containers) of one machine and different in every VM; the host name
/// where it cannot be read.
fn kernel_id(host: &str) -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|b| b.trim().to_string())
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| format!("host {host}"))
}

/// Which writers share a filesystem: same kernel and same `st_dev`
/// (empty when `dir` cannot be examined; the setup says why).
fn filesystem_id(kernel: &str, dir: &Path) -> String {
    match std::fs::metadata(dir) {
        Ok(m) => format!("{kernel}:{}", m.dev()),
        Err(_) => String::new(),
    }
}

/// `f_bavail * f_frsize` of the filesystem of `dir`.
fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(dir.as_os_str()))
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: statvfs fills the zeroed struct; `c` is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// `syncfs` on the filesystem of `dir`.
fn sync_fs(dir: &Path) -> Result<(), String> {
    let d = std::fs::File::open(dir).map_err(|e| format!("opening {}: {e}", dir.display()))?;
    // SAFETY: a valid descriptor for the call's duration.
    if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
        return Err(format!(
            "syncfs {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// A host's writer: what it found out about `--dir` before writing.
struct Writer {
    dir: PathBuf,
    naming: Naming,
    naming_note: Option<String>,
    direct: Result<u64, String>,
    device: Result<BlockDevice, String>,
    cgroup: Result<CgroupIo, String>,
    free: u64,
    needed: u64,
    sharers: usize,
}

impl Writer {
    /// Check `--dir` (exists, has the space, is writable) and probe it.
    fn setup(args: &Args, sharers: usize) -> anyhow::Result<Writer> {
        let arg = args.dir.display();
        let meta = match std::fs::metadata(&args.dir) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("--dir {arg}: no such directory")
            }
            Err(e) => bail!("--dir {arg}: {e}"),
        };
        if !meta.is_dir() {
            bail!("--dir {arg}: not a directory");
        }
        let dir = std::fs::canonicalize(&args.dir).with_context(|| format!("--dir {arg}"))?;
        let free = free_bytes(&dir).with_context(|| format!("--dir {arg}: statvfs"))?;
        let per_writer = args.size.saturating_add(margin(args.size));
        let needed = per_writer.saturating_mul(sharers as u64);
        if free < needed {
            bail!(
                "--dir {}: {free} bytes ({}) free on its filesystem, {needed} bytes ({}) needed: \
                 --size {} plus a margin of {} for each of the {sharers} writer(s) sharing it",
                dir.display(),
                human(free),
                human(needed),
                human(args.size),
                human(margin(args.size)),
            );
        }
        let (naming, naming_note) = scratch::probe_naming(&dir, !args.no_tmpfile)
            .with_context(|| format!("--dir {}: cannot create a file in it", dir.display()))?;
        let direct = if args.modes.0.contains(&Mode::Direct) {
            scratch::probe_direct(&dir, naming)
        } else {
            Err("not asked for".into())
        };
        let device = counters::block_device_of(&dir);
        let cgroup = device
            .as_ref()
            .map_err(|e| format!("no block device to look up in io.stat ({e})"))
            .and_then(CgroupIo::find);
        Ok(Writer {
            dir,
            naming,
            naming_note,
            direct,
            device,
            cgroup,
            free,
            needed,
            sharers,
        })
    }

    /// Why this writer skips `(mode, block)`, if it does.
    fn skip(&self, mode: Mode, block: u64) -> Option<String> {
        match (mode, &self.direct) {
            (Mode::Direct, Err(why)) => Some(format!("O_DIRECT not available: {why}")),
            (Mode::Direct, Ok(align)) if !block.is_multiple_of(*align) => Some(format!(
                "{block} B is not a multiple of the {align} B that O_DIRECT writes need here"
            )),
            _ => None,
        }
    }

    fn step(&self, args: &Args, mode: Mode, block: u64, seed: u64) -> anyhow::Result<StepRecord> {
        let mut record = StepRecord {
            mode: mode.name().into(),
            block,
            seconds: None,
            mbs: None,
            bytes: 0,
            length: 0,
            checked: 0,
            bad: 0,
            skipped: self.skip(mode, block),
        };
        if record.skipped.is_none() {
            let o = write_step(
                &self.dir,
                self.naming,
                mode,
                block,
                args.size / block,
                seed,
                args.inject_fault,
            )?;
            record.seconds = Some(o.seconds);
            record.mbs = Some(o.bytes as f64 / o.seconds / 1e6);
            record.bytes = o.bytes;
            record.length = o.length;
            record.checked = o.checked;
            record.bad = o.bad;
        }
        Ok(record)
    }

    /// Device and cgroup byte counts now, after a `syncfs`.
    fn counts(&self) -> (Result<u64, String>, Result<u64, String>) {
        let synced = sync_fs(&self.dir);
        let read = |r: Result<u64, String>| synced.clone().and(r);
        (
            read(
                self.device
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(BlockDevice::bytes_written),
            ),
            read(
                self.cgroup
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(CgroupIo::bytes_written),
            ),
        )
    }
}

type Counts = (Result<u64, String>, Result<u64, String>);

fn sweep_record(mode: Mode, before: Counts, after: Counts, file_bytes: u64) -> SweepRecord {
    let delta = |b: Result<u64, String>, a: Result<u64, String>| match (b, a) {
        (Ok(b), Ok(a)) => Ok(a.saturating_sub(b)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let (device, cgroup) = (delta(before.0, after.0), delta(before.1, after.1));
    SweepRecord {
        mode: mode.name().into(),
        file_bytes,
        device_bytes: device.as_ref().ok().copied(),
        device_absent: device.err(),
        cgroup_bytes: cgroup.as_ref().ok().copied(),
        cgroup_absent: cgroup.err(),
    }
}

/// One step of one host, as gathered.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StepRecord {
    mode: String,
    block: u64,
    seconds: Option<f64>,
    mbs: Option<f64>,
    bytes: u64,
    length: u64,
    checked: u64,
    bad: u64,
    skipped: Option<String>,
}

/// One mode's sweep of one host: file bytes and what the counters saw.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SweepRecord {
    mode: String,
    file_bytes: u64,
    device_bytes: Option<u64>,
    device_absent: Option<String>,
    cgroup_bytes: Option<u64>,
    cgroup_absent: Option<String>,
}

/// Everything one host's writer did, gathered to every rank and stored in
/// the results' parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct HostRecord {
    host: String,
    /// [`kernel_id`]: writers with the same one and the same counter
    /// (device, cgroup) read the same numbers.
    kernel: String,
    rank: usize,
    dir: String,
    files: String,
    direct_alignment: Option<u64>,
    direct_absent: Option<String>,
    device: Option<String>,
    device_absent: Option<String>,
    cgroup_io_stat: Option<String>,
    cgroup_absent: Option<String>,
    free_bytes: u64,
    needed_bytes: u64,
    writers_on_filesystem: usize,
    steps: Vec<StepRecord>,
    sweeps: Vec<SweepRecord>,
}

impl Writer {
    fn record(
        &self,
        host: &str,
        kernel: String,
        rank: usize,
        steps: Vec<StepRecord>,
        sweeps: Vec<SweepRecord>,
    ) -> HostRecord {
        HostRecord {
            host: host.into(),
            kernel,
            rank,
            dir: self.dir.display().to_string(),
            files: match (&self.naming, &self.naming_note) {
                (Naming::Unnamed, _) => "unnamed (O_TMPFILE)".into(),
                (Naming::Named, note) => format!(
                    "named .rhpcc-disk-<pid>.tmp, unlinked right after its open ({})",
                    note.as_deref().unwrap_or("")
                ),
            },
            direct_alignment: self.direct.as_ref().ok().copied(),
            direct_absent: self.direct.as_ref().err().cloned(),
            device: self.device.as_ref().ok().map(BlockDevice::label),
            device_absent: self.device.as_ref().err().cloned(),
            cgroup_io_stat: self
                .cgroup
                .as_ref()
                .ok()
                .map(|c| c.path.display().to_string()),
            cgroup_absent: self.cgroup.as_ref().err().cloned(),
            free_bytes: self.free,
            needed_bytes: self.needed,
            writers_on_filesystem: self.sharers,
            steps,
            sweeps,
        }
    }
}

pub fn run(world: &World, args: &Args) -> anyhow::Result<TestResult> {
    args.check()?;
    let writers: Vec<usize> = host_ranks(world).iter().map(|h| h[0]).collect();
    let is_writer = writers.contains(&world.rank);

    // Setup: every writer checks and probes --dir before anyone writes.
    let kernel = kernel_id(&world.rank_hosts[world.rank]);
    let fs_id = if is_writer {
        filesystem_id(&kernel, &args.dir)
    } else {
        String::new()
    };
    let sharers = all_gather_bytes(world, fs_id.as_bytes())
        .iter()
        .filter(|id| !fs_id.is_empty() && id.as_slice() == fs_id.as_bytes())
        .count()
        .max(1);
    let writer = if is_writer {
        Writer::setup(args, sharers).map(Some)
    } else {
        Ok(None)
    };
    let writer = agree_all(world, writer)?;

    // The sweeps: every (mode, block size) on every host at once.
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ ((world.rank as u64) << 48);
    let mut steps = Vec::new();
    let mut sweeps = Vec::new();
    let mut step_index = 0u64;
    for &mode in &args.modes.0 {
        let before = writer.as_ref().map(Writer::counts);
        let mut file_bytes = 0;
        for &block in &args.block_sizes.0 {
            step_index += 1;
            world.comm.barrier();
            let outcome = match &writer {
                Some(w) => w
                    .step(args, mode, block, splitmix64(base ^ step_index))
                    .map(Some),
                None => Ok(None),
            };
            if let Some(record) = agree_all(world, outcome)? {
                file_bytes += record.bytes;
                steps.push(record);
            }
        }
        if let (Some(w), Some(before)) = (&writer, before) {
            sweeps.push(sweep_record(mode, before, w.counts(), file_bytes));
        }
    }

    // Every writer's record to every rank, so that all agree on the verdict.
    let mine = match &writer {
        Some(w) => serde_json::to_vec(&w.record(
            &world.rank_hosts[world.rank],
            kernel,
            world.rank,
            steps,
            sweeps,
        ))?,
        None => Vec::new(),
    };
    let records = all_gather_bytes(world, &mine)
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| serde_json::from_slice::<HostRecord>(b))
        .collect::<Result<Vec<_>, _>>()
        .context("reading the hosts' records")?;
    Ok(report(args, &records))
}

/// Bytes with a binary unit, for messages.
fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Counter {
    Device,
    Cgroup,
}

/// Bytes written per file byte in `mode`, by `source`: the section's lines
/// and one ratio per counter. Writers on one kernel reading the same
/// counter (one device, or one cgroup) each see all of their writes, so
/// they share one ratio: the counter's bytes over all their file bytes.
fn write_ratios(records: &[HostRecord], mode: Mode, source: Counter) -> (String, Vec<f64>) {
    use std::fmt::Write as _;
    let mut lines = String::new();
    let mut ratios = Vec::new();
    let name = match source {
        Counter::Device => "device",
        Counter::Cgroup => "cgroup",
    };
    // (kernel, counter) -> the writers reading it, with their sweep.
    type Members<'a> = Vec<(&'a HostRecord, &'a SweepRecord)>;
    let mut groups: Vec<((&str, &str), Members)> = Vec::new();
    for r in records {
        let Some(sw) = r.sweeps.iter().find(|x| x.mode == mode.name()) else {
            continue;
        };
        let (counter, bytes, absent) = match source {
            Counter::Device => (&r.device, sw.device_bytes, &sw.device_absent),
            Counter::Cgroup => (&r.cgroup_io_stat, sw.cgroup_bytes, &sw.cgroup_absent),
        };
        match (counter, bytes) {
            (Some(c), Some(_)) => {
                let key = (r.kernel.as_str(), c.as_str());
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, members)) => members.push((r, sw)),
                    None => groups.push((key, vec![(r, sw)])),
                }
            }
            _ => {
                let _ = writeln!(
                    lines,
                    "  {name} bytes on {}: not available: {}",
                    r.host,
                    absent.as_deref().unwrap_or("")
                );
            }
        }
    }
    for ((_, counter), members) in groups {
        let hosts: Vec<&str> = members.iter().map(|(r, _)| r.host.as_str()).collect();
        let file_bytes: u64 = members.iter().map(|(_, sw)| sw.file_bytes).sum();
        // Every member read the same counter around the same sweep (the
        // barriers of the steps lie between their readings and anyone's
        // writes); the first one's reading stands for all.
        let bytes = match source {
            Counter::Device => members[0].1.device_bytes,
            Counter::Cgroup => members[0].1.cgroup_bytes,
        }
        .unwrap_or(0);
        let what = if hosts.len() == 1 {
            format!("{name} bytes on {}", hosts[0])
        } else {
            format!(
                "{name} bytes of {} writers sharing the counter ({})",
                hosts.len(),
                hosts.join(", ")
            )
        };
        if file_bytes == 0 {
            let _ = writeln!(lines, "  {what}: no file written in this mode");
            continue;
        }
        let ratio = bytes as f64 / file_bytes as f64;
        ratios.push(ratio);
        let _ = writeln!(
            lines,
            "  {what}: {bytes} B written by {counter} for {file_bytes} B of files, ratio {ratio:.3}"
        );
    }
    (lines, ratios)
}

/// The test's result from every host's record (pure; the same on every
/// rank).
fn report(args: &Args, records: &[HostRecord]) -> TestResult {
    use std::fmt::Write as _;
    let mut s = String::new();
    let mut metrics = Vec::new();
    let hosts = records.len();
    let _ = writeln!(
        s,
        "Disk write: {} B ({}) per file, per block size and mode; MB = 10^6 B",
        args.size,
        human(args.size)
    );
    let _ = writeln!(
        s,
        "Writers: {hosts}, the first rank of each host, all at once after a barrier per step"
    );
    for r in records {
        let _ = writeln!(s, "Host {} (rank {}), {}:", r.host, r.rank, r.dir);
        let _ = writeln!(s, "  files: {}", r.files);
        if args.modes.0.contains(&Mode::Direct) {
            match (&r.direct_alignment, &r.direct_absent) {
                (Some(a), _) => {
                    let _ = writeln!(s, "  O_DIRECT: writes of multiples of {a} B");
                }
                (None, why) => {
                    let _ = writeln!(
                        s,
                        "  O_DIRECT: not available: {}",
                        why.as_deref().unwrap_or("")
                    );
                }
            }
        }
        let _ = writeln!(
            s,
            "  device counter: {}",
            r.device.as_deref().map_or_else(
                || format!(
                    "not available: {}",
                    r.device_absent.as_deref().unwrap_or("")
                ),
                |d| format!("{d} in /proc/diskstats (every writer on the device)")
            )
        );
        let _ = writeln!(
            s,
            "  cgroup counter: {}",
            r.cgroup_io_stat.as_deref().map_or_else(
                || format!(
                    "not available: {}",
                    r.cgroup_absent.as_deref().unwrap_or("")
                ),
                |c| format!("wbytes in {c} (this cgroup's writes)")
            )
        );
        let _ = writeln!(
            s,
            "  free space: {} B, needed {} B ({} writer(s) on this filesystem)",
            r.free_bytes, r.needed_bytes, r.writers_on_filesystem
        );
    }

    let step = |r: &'_ HostRecord, mode: Mode, block: u64| -> Option<StepRecord> {
        r.steps
            .iter()
            .find(|x| x.mode == mode.name() && x.block == block)
            .cloned()
    };
    for &mode in &args.modes.0 {
        let _ = writeln!(s, "\nMode {}: {}", mode.name(), mode.what());
        let _ = writeln!(
            s,
            "  {:>9} {:>12} {:>12} {:>12}  hosts",
            "Block (B)", "MB/s (mean)", "min", "max"
        );
        for &block in &args.block_sizes.0 {
            let i = BLOCK_SIZES
                .iter()
                .position(|&b| b == block)
                .expect("parsed block size");
            let steps: Vec<(&HostRecord, StepRecord)> = records
                .iter()
                .filter_map(|r| step(r, mode, block).map(|x| (r, x)))
                .collect();
            let values: Vec<f64> = steps.iter().filter_map(|(_, x)| x.mbs).collect();
            if values.is_empty() {
                let why = steps
                    .iter()
                    .find_map(|(_, x)| x.skipped.clone())
                    .unwrap_or_else(|| "no host wrote".into());
                let _ = writeln!(s, "  {block:>9} skipped: {why}");
            } else {
                let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = values.iter().copied().fold(0.0, f64::max);
                let m = mean(&values);
                let _ = writeln!(
                    s,
                    "  {block:>9} {m:>12.3} {lo:>12.3} {hi:>12.3}  {}/{hosts}",
                    values.len()
                );
                for (r, x) in &steps {
                    if let Some(why) = &x.skipped {
                        let _ = writeln!(s, "  {:>9} skipped on {}: {why}", "", r.host);
                    }
                }
                metrics.push(
                    Metric::new(format!("{} {}", mode.title(), BLOCK_LABELS[i]), "MB/s", m)
                        .key(mode.keys()[i])
                        .samples(values),
                );
            }
        }
        for source in [Counter::Device, Counter::Cgroup] {
            let (lines, ratios) = write_ratios(records, mode, source);
            s.push_str(&lines);
            if !ratios.is_empty() {
                let (key, name) = match source {
                    Counter::Device => (mode.device_ratio_key(), "DeviceWriteRatio"),
                    Counter::Cgroup => (mode.cgroup_ratio_key(), "CgroupWriteRatio"),
                };
                metrics.push(
                    Metric::new(format!("{} {name}", mode.title()), "ratio", mean(&ratios))
                        .key(key)
                        .lower_is_better()
                        .samples(ratios),
                );
            }
        }
    }

    let written: Vec<&StepRecord> = records
        .iter()
        .flat_map(|r| &r.steps)
        .filter(|x| x.skipped.is_none())
        .collect();
    let checked: u64 = written.iter().map(|x| x.checked).sum();
    let bad: u64 = written.iter().map(|x| x.bad).sum();
    let short = written.iter().filter(|x| x.length != x.bytes).count() as u64;
    let _ = writeln!(
        s,
        "\nRead-back: {checked} sampled blocks of {} files checked, {bad} differ from what \
         was written; {short} file(s) of the wrong length",
        written.len()
    );

    TestResult {
        name: "MicroDisk",
        section: s,
        summary: Vec::new(),
        metrics,
        verification: vec![Verification {
            name: "blocks read back that differ from those written, plus files of the wrong \
                   length"
                .into(),
            value: (bad + short) as f64,
            threshold: 0.0,
            rule: "value <= threshold",
            passed: bad + short == 0,
        }],
        timing_rules: "one writer per host (its first rank); every (mode, block size) step \
                       starts on all hosts at once after a barrier; time from open to close of \
                       the writing descriptor, fsync included for fsync and direct; MB/s = \
                       bytes / time / 10^6; value = mean over hosts, samples per host; device \
                       bytes per mode between syncfs calls around the sweep",
        parameters: json!({
            "dir": args.dir,
            "size_bytes": args.size,
            "block_sizes": args.block_sizes.0,
            "modes": args.modes.0.iter().map(|m| m.name()).collect::<Vec<_>>(),
            "sampled_blocks_per_file": SAMPLED_BLOCKS,
            "hosts": records,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("256m"), Ok(256 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1000T"), Ok(1000 << 40));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert_eq!(parse_size("64B"), Ok(64));
        for bad in ["", "M", "1.5G", "12Q", "-1", "99999999999999T"] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.contains(&format!("'{bad}'")), "{bad}: {e}");
        }
    }

    #[test]
    fn block_size_sweeps() {
        assert_eq!(
            parse_block_sizes(PAPER_BLOCK_SIZES).unwrap().0,
            vec![64, 512, 4096, 32768, 262144]
        );
        assert_eq!(parse_block_sizes("all").unwrap().0, BLOCK_SIZES.to_vec());
        assert_eq!(parse_block_sizes("ALL").unwrap().0.len(), 13);
        assert_eq!(
            parse_block_sizes("4K, 64,256k,64").unwrap().0,
            vec![64, 4096, 262144]
        );
        for (bad, named) in [
            ("64,100", "'100'"),
            ("32", "'32'"),
            ("524288", "'524288'"),
            ("64,,512", "''"),
            ("x", "'x'"),
        ] {
            let e = parse_block_sizes(bad).unwrap_err();
            assert!(e.contains(named), "{bad}: {e}");
        }
    }

    #[test]
    fn mode_lists() {
        assert_eq!(
            parse_modes("direct,buffered,direct").unwrap().0,
            vec![Mode::Direct, Mode::Buffered]
        );
        let e = parse_modes("buffered,sync").unwrap_err();
        assert!(e.contains("'sync'"), "{e}");
    }

    #[test]
    fn keys_follow_the_block_sizes() {
        for mode in Mode::ALL {
            for (key, b) in mode.keys().iter().zip(BLOCK_SIZES) {
                assert_eq!(*key, format!("MicroDisk_{}_MBs_{b}", mode.title()));
            }
            assert_eq!(
                mode.device_ratio_key(),
                format!("MicroDisk_{}_DeviceWriteRatio", mode.title())
            );
        }
    }

    #[test]
    fn samples_spread_over_the_file() {
        assert_eq!(sample_blocks(3, 64), vec![0, 1, 2]);
        let s = sample_blocks(4096, 64);
        assert_eq!(s.len(), 64);
        assert_eq!((s[0], s[63]), (0, 4095));
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }

    fn args(size: u64) -> Args {
        Args {
            dir: ".".into(),
            size,
            block_sizes: parse_block_sizes(PAPER_BLOCK_SIZES).unwrap(),
            modes: parse_modes("buffered,fsync,direct").unwrap(),
            inject_fault: false,
            no_tmpfile: false,
            common: Common::for_tests(),
        }
    }

    #[test]
    fn size_must_be_whole_largest_blocks() {
        assert!(args(1 << 20).check().is_ok());
        let e = args(1_000_000).check().unwrap_err().to_string();
        assert!(e.contains("--size 1000000") && e.contains("262144"), "{e}");
    }

    #[test]
    fn a_step_reads_back_what_it_wrote_and_sees_a_fault() {
        let dir = tempfile::tempdir().unwrap();
        let (naming, _) = scratch::probe_naming(dir.path(), true).unwrap();
        for mode in [Mode::Buffered, Mode::Fsync] {
            let o = write_step(dir.path(), naming, mode, 4096, 100, 7, false).unwrap();
            assert_eq!(
                (o.bytes, o.length, o.checked, o.bad),
                (409_600, 409_600, 64, 0)
            );
            assert!(o.seconds > 0.0);
            let o = write_step(dir.path(), naming, mode, 64, 10, 8, true).unwrap();
            assert_eq!((o.checked, o.bad), (10, 1), "{mode:?}");
        }
        if let Ok(align) = scratch::probe_direct(dir.path(), naming) {
            let block = align.max(512);
            let o = write_step(dir.path(), naming, Mode::Direct, block, 8, 9, true).unwrap();
            assert_eq!((o.length, o.bad), (8 * block, 1));
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    fn record(host: &str, mbs: &[(Mode, u64, Option<f64>)], device: Option<u64>) -> HostRecord {
        HostRecord {
            host: host.into(),
            kernel: "k1".into(),
            rank: 0,
            dir: "/d".into(),
            files: "unnamed (O_TMPFILE)".into(),
            direct_alignment: Some(4096),
            direct_absent: None,
            device: device.map(|_| "vda (254:0)".into()),
            device_absent: device.is_none().then(|| "on tmpfs".into()),
            cgroup_io_stat: None,
            cgroup_absent: Some("no io.stat".into()),
            free_bytes: 1 << 40,
            needed_bytes: 1 << 30,
            writers_on_filesystem: 1,
            steps: mbs
                .iter()
                .map(|&(mode, block, mbs)| StepRecord {
                    mode: mode.name().into(),
                    block,
                    seconds: mbs.map(|_| 1.0),
                    mbs,
                    bytes: if mbs.is_some() { 1 << 20 } else { 0 },
                    length: if mbs.is_some() { 1 << 20 } else { 0 },
                    checked: 4,
                    bad: 0,
                    skipped: mbs.is_none().then(|| "not a multiple".into()),
                })
                .collect(),
            sweeps: Mode::ALL
                .iter()
                .map(|m| SweepRecord {
                    mode: m.name().into(),
                    file_bytes: 2 << 20,
                    device_bytes: device,
                    device_absent: device.is_none().then(|| "on tmpfs".into()),
                    cgroup_bytes: None,
                    cgroup_absent: Some("no io.stat".into()),
                })
                .collect(),
        }
    }

    #[test]
    fn report_means_over_hosts_and_says_what_is_missing() {
        let mut a = args(1 << 20);
        a.block_sizes = parse_block_sizes("64,4096").unwrap();
        let recs = [
            record(
                "h1",
                &[
                    (Mode::Buffered, 64, Some(100.0)),
                    (Mode::Buffered, 4096, Some(300.0)),
                    (Mode::Direct, 64, None),
                    (Mode::Direct, 4096, Some(50.0)),
                ],
                Some(3 << 20),
            ),
            record(
                "h2",
                &[
                    (Mode::Buffered, 64, Some(200.0)),
                    (Mode::Buffered, 4096, Some(500.0)),
                    (Mode::Direct, 64, None),
                    (Mode::Direct, 4096, Some(70.0)),
                ],
                None,
            ),
        ];
        let t = report(&a, &recs);
        let get = |k: &str| t.metrics.iter().find(|m| m.key.as_deref() == Some(k));
        let m = get(KEYS_BUFFERED[0]).unwrap();
        assert_eq!((m.value, m.samples.clone()), (150.0, vec![100.0, 200.0]));
        assert_eq!(get(KEYS_DIRECT[6]).unwrap().value, 60.0);
        assert!(get(KEYS_DIRECT[0]).is_none());
        assert!(
            t.section.contains("skipped: not a multiple"),
            "{}",
            t.section
        );
        // Only h1 has a device count: 3 MiB for 2 MiB of files.
        let r = get(KEY_BUFFERED_DEVICE_RATIO).unwrap();
        assert_eq!((r.value, r.samples.len()), (1.5, 1));
        assert!(t
            .section
            .contains("device bytes on h2: not available: on tmpfs"));
        assert!(get(KEY_BUFFERED_CGROUP_RATIO).is_none());
        assert!(t.passed());

        let mut broken = recs.clone();
        broken[1].steps[1].length = 4096;
        assert!(!report(&a, &broken).passed());
    }

    #[test]
    fn writers_reading_one_counter_share_one_ratio() {
        let one = |host: &str, kernel: &str| {
            let mut r = record(host, &[(Mode::Fsync, 4096, Some(1.0))], Some(6 << 20));
            r.kernel = kernel.into();
            r
        };
        // Two namespaces of one machine on one disk: each saw both files
        // (2 MiB each) and 2 MiB of journal and others' writes.
        let (text, ratios) = write_ratios(
            &[one("vh0", "k1"), one("vh1", "k1")],
            Mode::Fsync,
            Counter::Device,
        );
        assert_eq!(ratios, vec![1.5]);
        assert!(
            text.contains("2 writers sharing the counter (vh0, vh1)")
                && text.contains("for 4194304 B of files"),
            "{text}"
        );
        // Two VMs: one disk each, one ratio each.
        let (_, ratios) = write_ratios(
            &[one("vm0", "k1"), one("vm1", "k2")],
            Mode::Fsync,
            Counter::Device,
        );
        assert_eq!(ratios, vec![3.0, 3.0]);
        // No cgroup counter: no ratio, the reason instead.
        let (text, ratios) = write_ratios(&[one("vm0", "k1")], Mode::Fsync, Counter::Cgroup);
        assert!(ratios.is_empty());
        assert!(
            text.contains("cgroup bytes on vm0: not available: no io.stat"),
            "{text}"
        );
    }
}
