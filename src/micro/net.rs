//! `rhpcc micro net`: TCP throughput between two hosts and its CPU cost on
//! each side, as iperf measures it (the paper's Table 1 and Figures 7, 9 and
//! 10: flows of 16 KiB writes, sending and receiving measured separately,
//! scaled to 1, 2, 4 and 8 concurrent flows).
//!
//! ```sh
//! mpirun -np 2 --host a,b rhpcc micro net             # host a sends to host b
//! mpirun -np 2 rhpcc micro net --duration 5 --pairs 1  # over the loopback
//! launch/vcluster.sh run --hosts 2 --ranks-per-host 1 -- micro net
//! ```
//!
//! Options: `--duration S` (10), `--write-size BYTES` (16384), `--pairs
//! LIST` (1,2,4,8), `--listen ADDR`, `--io-timeout S` (10), and the frame's
//! (`--json`, `--placement`, `--repeat`, `--quiet`). The section (printed
//! before the table) gives per step each connection's bytes and rates, the
//! CPU figures of both sides and the addresses used; the JSON's
//! `parameters` hold the addresses, interfaces and cores.
//!
//! # Who talks to whom
//!
//! Rank 0 sends; the first rank on another host than rank 0 receives (or
//! rank 1 when every rank shares rank 0's host: two ranks on one host, over
//! the loopback). One rank alone is refused. The other ranks take no part:
//! they sleep through each transfer (so that they do not busy-poll in MPI
//! beside it) and join the collectives that close each phase.
//!
//! # Addresses
//!
//! The receiver listens on one address of the host being measured, never on
//! `0.0.0.0`: `127.0.0.1` when both ranks share a host; otherwise each side
//! lists its interfaces' IPv4 addresses (`getifaddrs`, loopback and down
//! interfaces left out), the lists are exchanged over MPI, and the receiver
//! takes the first of its addresses that shares a subnet with one of the
//! sender's (each address inside the other's netmask). No such address is an
//! error naming both lists; `--listen ADDR` chooses the receiver's address
//! instead. The port is the kernel's choice (bind to port 0), sent to the
//! sender over MPI. One listening socket serves every step.
//!
//! # One step of k pairs (for each k of `--pairs`)
//!
//! 1. Connect: the sender opens k connections (each with a 16-byte hello
//!    naming the step and the connection), the receiver accepts them within
//!    `--io-timeout`. Every rank agrees ([`super::agree_all`]).
//! 2. Transfer: one thread per connection on each side. A sender thread
//!    writes blocks of `--write-size` bytes (`write_all`, so the stream is
//!    exactly the blocks end to end) until `--duration` has passed since its
//!    first write (at least one block), then shuts its side down; a receiver
//!    thread reads into a `--write-size` buffer until end of file. Every
//!    socket has `SO_SNDTIMEO`/`SO_RCVTIMEO` of `--io-timeout`, connects
//!    and accepts have the same deadline, so a dead or stuck peer is an
//!    error, not a hang. Every rank agrees again.
//! 3. Exchange: each connection's byte count, times and content check are
//!    gathered on every rank.
//!
//! Every thread is joined and every socket closed at the end of its step,
//! on success or error (scoped threads and owned sockets).
//!
//! # Figures
//!
//! - Sending rate: the sender's bytes written / (the latest thread's end of
//!   writes - the earliest thread's first write); receiving rate: the
//!   receiver's bytes read / (the latest end of file - the earliest first
//!   byte). MB = 10^6 bytes (the section also gives Mbit/s, the paper's
//!   unit). Samples: each connection's own rate.
//! - CPU cost of each side over its transfer phase (from the agreement
//!   before it to the last thread joined): the process's own CPU time
//!   (`getrusage(RUSAGE_SELF)` user + system, every thread) over the wall
//!   time, in percent of one core (at most 100 x the cores the process may
//!   run on); these are the `*CPU_pct_*` keys. Beside it, the busy time of
//!   the whole host (the kernel the process runs on) from `/proc/stat`
//!   (total - idle - iowait, all CPUs) over the same window, also in percent
//!   of one core: the paper's "overall system CPU use" (sar in the guest).
//!   On the virtual cluster of `launch/vcluster.sh` every virtual host
//!   shares the machine's kernel, so that figure is the whole machine's.
//!
//! # Binding
//!
//! All threads of a side run inside its rank's CPU set. Open MPI binds each
//! rank to one core when it starts 2 ranks on a host (and
//! `launch/vcluster.sh` binds as `--bind-to core` would inside a VM), so
//! there a side's k threads share one core, as in a VM with one vCPU (the
//! paper gives each VM one CPU). Give mpirun `--bind-to none` (vcluster.sh
//! `--bind none`) to let them spread over the host's cores; the CPU
//! percentages' bound is the cores of the set (`sender_cores`,
//! `receiver_cores` in the parameters).
//!
//! # Verification
//!
//! Each block starts with its index in the stream mixed with the
//! connection's number; the receiver checks those 8 bytes of every block and
//! one body byte of each block (at a position that moves from block to
//! block) against the pattern, wherever the reads split the stream. The
//! receiver's byte count of every connection must equal the sender's.
//! A wrong byte or a differing count fails the run.

use std::ffi::CStr;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::Args as ClapArgs;
use mpi::traits::*;
use serde_json::{json, Value};

use super::{agree_all, all_gather_f64, Common};
use crate::report::{Metric, TestResult, Verification};
use crate::world::World;

/// Pair counts that have summary keys and figures (the paper's 1, 2, 4 and
/// 8 VMs); other counts of `--pairs` run and are reported under keys of the
/// same form that `rhpcc compare` does not read.
pub const FIGURE_PAIRS: [usize; 4] = [1, 2, 4, 8];
/// Sending throughput, MB/s (10^6 bytes), for 1, 2, 4, 8 pairs.
pub const KEY_SEND_MBS: [&str; 4] = [
    "MicroNet_Send_MBs_1",
    "MicroNet_Send_MBs_2",
    "MicroNet_Send_MBs_4",
    "MicroNet_Send_MBs_8",
];
/// Receiving throughput, MB/s (10^6 bytes), for 1, 2, 4, 8 pairs.
pub const KEY_RECV_MBS: [&str; 4] = [
    "MicroNet_Recv_MBs_1",
    "MicroNet_Recv_MBs_2",
    "MicroNet_Recv_MBs_4",
    "MicroNet_Recv_MBs_8",
];
/// The sending process's CPU time over its wall time, percent of one core.
pub const KEY_SEND_CPU: [&str; 4] = [
    "MicroNet_SendCPU_pct_1",
    "MicroNet_SendCPU_pct_2",
    "MicroNet_SendCPU_pct_4",
    "MicroNet_SendCPU_pct_8",
];
/// The receiving process's CPU time over its wall time, percent of one core.
pub const KEY_RECV_CPU: [&str; 4] = [
    "MicroNet_RecvCPU_pct_1",
    "MicroNet_RecvCPU_pct_2",
    "MicroNet_RecvCPU_pct_4",
    "MicroNet_RecvCPU_pct_8",
];

/// The key of family `family` (e.g. `MicroNet_Send_MBs`) for `k` pairs.
pub fn key(family: &str, k: usize) -> String {
    format!("{family}_{k}")
}

/// Most concurrent pairs one step may use (threads per side).
const MAX_PAIRS: usize = 64;
/// Bytes of the index at the start of every block.
const HEADER: usize = 8;
/// Smallest write: the header and some body.
const MIN_WRITE: usize = 16;
const MAX_WRITE: usize = 64 << 20;
/// The hello that opens every connection: magic, step's k, connection.
const HELLO_MAGIC: [u8; 8] = *b"rhpccnet";
const HELLO_LEN: usize = 16;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// Seconds each sender thread writes, per step.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub duration: f64,

    /// Bytes per write (and per read buffer), as iperf's `-l`.
    #[arg(long, value_name = "BYTES", default_value_t = 16384)]
    pub write_size: usize,

    /// Concurrent pairs of each step, in order (comma-separated, each 1 to
    /// 64); one thread per connection on each side.
    #[arg(long, value_name = "LIST", default_value = "1,2,4,8")]
    pub pairs: String,

    /// IPv4 address the receiver listens on, instead of the one it shares
    /// a subnet with the sender (or 127.0.0.1 on one host).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Seconds a connect, an accept, a read or a write may wait before the
    /// peer is declared dead.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub io_timeout: f64,

    /// Testing only: corrupt the first block of the first connection, to
    /// check that a failed verification fails the run.
    #[arg(long, hide = true)]
    pub inject_fault: bool,

    #[command(flatten)]
    pub common: Common,
}

/// The options, checked.
#[derive(Debug, Clone)]
struct Config {
    duration: Duration,
    write_size: usize,
    pairs: Vec<usize>,
    listen: Option<Ipv4Addr>,
    io_timeout: Duration,
    inject_fault: bool,
}

impl Args {
    pub fn parameters(&self) -> Value {
        json!({
            "duration_s": self.duration,
            "write_size": self.write_size,
            "pairs": self.pairs,
            "listen": self.listen,
            "io_timeout_s": self.io_timeout,
        })
    }

    fn check(&self) -> anyhow::Result<Config> {
        let seconds = |name: &str, v: f64| -> anyhow::Result<Duration> {
            if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
                bail!("{name}: expected seconds in (0, 86400], got {v}");
            }
            Ok(Duration::from_secs_f64(v))
        };
        if !(MIN_WRITE..=MAX_WRITE).contains(&self.write_size) {
            bail!(
                "--write-size: expected {MIN_WRITE} to {MAX_WRITE} bytes, got {}",
                self.write_size
            );
        }
        let listen = match &self.listen {
            None => None,
            Some(text) => {
                let a: Ipv4Addr = text.trim().parse().map_err(|_| {
                    anyhow!("--listen: expected an IPv4 address such as 10.0.0.2, got {text:?}")
                })?;
                if a.is_unspecified() || a.is_broadcast() || a.is_multicast() {
                    bail!("--listen: expected the address of one of the receiver's interfaces, got {a} (not a host's address)");
                }
                Some(a)
            }
        };
        Ok(Config {
            duration: seconds("--duration", self.duration)?,
            write_size: self.write_size,
            pairs: parse_pairs(&self.pairs)?,
            listen,
            io_timeout: seconds("--io-timeout", self.io_timeout)?,
            inject_fault: self.inject_fault,
        })
    }
}

/// `--pairs`: a comma-separated list of distinct counts from 1 to 64.
fn parse_pairs(text: &str) -> anyhow::Result<Vec<usize>> {
    let mut pairs = Vec::new();
    for word in text.split(',') {
        let k: usize = word.trim().parse().map_err(|_| {
            anyhow!("--pairs {text:?}: expected counts separated by commas, e.g. 1,2,4,8; {:?} is not a count", word.trim())
        })?;
        if !(1..=MAX_PAIRS).contains(&k) {
            bail!("--pairs {text:?}: {k} is outside 1 to {MAX_PAIRS}");
        }
        if pairs.contains(&k) {
            bail!("--pairs {text:?}: {k} appears twice");
        }
        pairs.push(k);
    }
    Ok(pairs)
}

// --- roles --------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Sender,
    Receiver,
    Idle,
}

/// The sender (rank 0) and the receiver, and whether they share a host.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pair {
    sender: usize,
    receiver: usize,
    same_host: bool,
}

impl Pair {
    /// From every rank's host name: rank 0 and the first rank on another
    /// host, or rank 1 when there is no other host.
    fn of(rank_hosts: &[String]) -> anyhow::Result<Pair> {
        if rank_hosts.len() < 2 {
            bail!(
                "micro net needs two ranks, a sender and a receiver (e.g. mpirun -np 2, one rank on each of two hosts); this job has {} rank",
                rank_hosts.len()
            );
        }
        Ok(match rank_hosts.iter().position(|h| h != &rank_hosts[0]) {
            Some(r) => Pair {
                sender: 0,
                receiver: r,
                same_host: false,
            },
            None => Pair {
                sender: 0,
                receiver: 1,
                same_host: true,
            },
        })
    }

    fn role(&self, rank: usize) -> Role {
        if rank == self.sender {
            Role::Sender
        } else if rank == self.receiver {
            Role::Receiver
        } else {
            Role::Idle
        }
    }
}

// --- interfaces and the choice of address --------------------------------

/// An IPv4 address of an interface with its netmask's length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iface {
    pub name: String,
    pub addr: Ipv4Addr,
    pub prefix: u32,
}

impl Iface {
    fn mask(&self) -> u32 {
        match self.prefix {
            0 => 0,
            p => u32::MAX << (32 - p.min(32)),
        }
    }

    /// Whether each address lies inside the other's subnet.
    pub fn shares_subnet(&self, other: &Iface) -> bool {
        let (a, b) = (u32::from(self.addr), u32::from(other.addr));
        let (ma, mb) = (self.mask(), other.mask());
        a & ma == b & ma && a & mb == b & mb
    }
}

impl fmt::Display for Iface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.name, self.addr, self.prefix)
    }
}

fn list(ifaces: &[Iface]) -> String {
    if ifaces.is_empty() {
        return "none".into();
    }
    ifaces
        .iter()
        .map(Iface::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The receiver's first address that shares a subnet with one of the
/// sender's, with that sender address.
pub fn choose_listen<'a>(
    receiver: &'a [Iface],
    sender: &'a [Iface],
) -> Option<(&'a Iface, &'a Iface)> {
    receiver
        .iter()
        .find_map(|r| sender.iter().find(|s| r.shares_subnet(s)).map(|s| (r, s)))
}

/// This host's IPv4 addresses of interfaces that are up, loopback left out.
fn interfaces() -> anyhow::Result<Vec<Iface>> {
    struct Owned(*mut libc::ifaddrs);
    impl Drop for Owned {
        fn drop(&mut self) {
            // SAFETY: the list getifaddrs returned, freed once.
            unsafe { libc::freeifaddrs(self.0) }
        }
    }
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free through Owned.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error())
            .context("listing this host's interfaces (getifaddrs)");
    }
    let owned = Owned(head);
    let mut out = Vec::new();
    let mut p = owned.0;
    while !p.is_null() {
        // SAFETY: p walks the list getifaddrs made, alive until `owned` drops.
        let ifa = unsafe { &*p };
        p = ifa.ifa_next;
        let flags = ifa.ifa_flags;
        if ifa.ifa_addr.is_null()
            || flags & libc::IFF_UP as u32 == 0
            || flags & libc::IFF_LOOPBACK as u32 != 0
        {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points to a sockaddr.
        if i32::from(unsafe { (*ifa.ifa_addr).sa_family }) != libc::AF_INET {
            continue;
        }
        // SAFETY: an AF_INET address is a sockaddr_in; so is its netmask.
        let addr = unsafe {
            (*(ifa.ifa_addr as *const libc::sockaddr_in))
                .sin_addr
                .s_addr
        };
        let prefix = if ifa.ifa_netmask.is_null() {
            32
        } else {
            // SAFETY: as above.
            let m = unsafe {
                (*(ifa.ifa_netmask as *const libc::sockaddr_in))
                    .sin_addr
                    .s_addr
            };
            u32::from_be(m).count_ones()
        };
        // SAFETY: ifa_name is a NUL-terminated string in the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        out.push(Iface {
            name,
            addr: Ipv4Addr::from(u32::from_be(addr)),
            prefix,
        });
    }
    Ok(out)
}

fn encode(ifaces: &[Iface]) -> Vec<u8> {
    ifaces
        .iter()
        .map(|i| format!("{}\t{}\t{}\n", i.name, i.addr, i.prefix))
        .collect::<String>()
        .into_bytes()
}

fn decode(bytes: &[u8]) -> anyhow::Result<Vec<Iface>> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split('\t').collect();
            match w[..] {
                [name, addr, prefix] => Ok(Iface {
                    name: name.to_string(),
                    addr: addr.parse()?,
                    prefix: prefix.parse()?,
                }),
                _ => bail!("malformed interface line {l:?} from the peer"),
            }
        })
        .collect()
}

/// Bytes from rank `root` to every rank (length first).
fn broadcast_from(world: &World, root: usize, data: Option<Vec<u8>>) -> Vec<u8> {
    let root = world.comm.process_at_rank(root as i32);
    let mut len = data.as_ref().map_or(0u64, |d| d.len() as u64);
    root.broadcast_into(&mut len);
    let mut buf = data.unwrap_or_else(|| vec![0u8; len as usize]);
    if len > 0 {
        root.broadcast_into(&mut buf[..]);
    }
    buf
}

/// Where the receiver listens, and why there.
fn listen_address(
    cfg: &Config,
    pair: &Pair,
    receiver: &[Iface],
    sender: &[Iface],
) -> anyhow::Result<(Ipv4Addr, String)> {
    if let Some(a) = cfg.listen {
        return Ok((a, "--listen".into()));
    }
    if pair.same_host {
        return Ok((
            Ipv4Addr::LOCALHOST,
            "both ranks on one host: loopback".into(),
        ));
    }
    match choose_listen(receiver, sender) {
        Some((r, s)) => Ok((
            r.addr,
            format!("the receiver's {r} shares a subnet with the sender's {s}"),
        )),
        None => bail!(
            "no address of the receiver shares a subnet with the sender's: receiver (rank {}) has {}; sender (rank {}) has {}; choose one with --listen ADDR",
            pair.receiver,
            list(receiver),
            pair.sender,
            list(sender)
        ),
    }
}

// --- the stream's pattern -----------------------------------------------

fn tag(conn: usize) -> u64 {
    (conn as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn header(conn: usize, block: u64) -> [u8; HEADER] {
    (block ^ tag(conn)).to_le_bytes()
}

fn body_byte(conn: usize, pos: usize) -> u8 {
    (pos as u64).wrapping_mul(131).wrapping_add(conn as u64 * 7) as u8
}

/// The body byte of block `block` that the receiver checks.
fn sample_pos(block: u64, write_size: usize) -> usize {
    HEADER + (block.wrapping_mul(7919) % (write_size - HEADER) as u64) as usize
}

/// Byte `offset` of connection `conn`'s stream.
pub fn expected_byte(conn: usize, write_size: usize, offset: u64) -> u8 {
    let ws = write_size as u64;
    let (block, pos) = (offset / ws, (offset % ws) as usize);
    if pos < HEADER {
        header(conn, block)[pos]
    } else {
        body_byte(conn, pos)
    }
}

/// The checked bytes (every block's header and one body byte per block)
/// that fall in `chunk`, read at stream offset `at`: how many, how many
/// wrong.
pub fn check_chunk(conn: usize, write_size: usize, at: u64, chunk: &[u8]) -> (u64, u64) {
    if chunk.is_empty() {
        return (0, 0);
    }
    let ws = write_size as u64;
    let end = at + chunk.len() as u64;
    let (mut checked, mut wrong) = (0, 0);
    for block in at / ws..=(end - 1) / ws {
        let base = block * ws;
        for pos in (0..HEADER).chain(std::iter::once(sample_pos(block, write_size))) {
            let o = base + pos as u64;
            if o >= at && o < end {
                checked += 1;
                if chunk[(o - at) as usize] != expected_byte(conn, write_size, o) {
                    wrong += 1;
                }
            }
        }
    }
    (checked, wrong)
}

// --- CPU use --------------------------------------------------------------

/// Jiffies of the whole host from `/proc/stat`'s `cpu` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostTimes {
    /// user + nice + system + irq + softirq + steal (guest time is inside
    /// user).
    pub busy: u64,
    /// busy + idle + iowait.
    pub total: u64,
    /// `cpuN` lines.
    pub cpus: usize,
}

/// Parses `/proc/stat`.
pub fn parse_proc_stat(text: &str) -> Result<HostTimes, String> {
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some("cpu"))
        .ok_or("no 'cpu' line")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|w| {
            w.parse::<u64>()
                .map_err(|_| format!("'cpu' line: {w:?} is not a count"))
        })
        .collect::<Result<_, _>>()?;
    if v.len() < 5 {
        return Err(format!(
            "'cpu' line has {} fields, expected at least 5",
            v.len()
        ));
    }
    let field = |i: usize| v.get(i).copied().unwrap_or(0);
    let idle = field(3) + field(4);
    let busy = field(0) + field(1) + field(2) + field(5) + field(6) + field(7);
    let cpus = text
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.strip_prefix("cpu"))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .count();
    if cpus == 0 {
        return Err("no 'cpuN' lines".into());
    }
    Ok(HostTimes {
        busy,
        total: busy + idle,
        cpus,
    })
}

fn host_times() -> anyhow::Result<HostTimes> {
    let text = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    parse_proc_stat(&text).map_err(|e| anyhow!("/proc/stat: {e}"))
}

/// This process's user + system CPU seconds, every thread.
fn process_cpu_seconds() -> anyhow::Result<f64> {
    // SAFETY: getrusage fills the zeroed struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return Err(io::Error::last_os_error()).context("getrusage");
    }
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Ok(s(ru.ru_utime) + s(ru.ru_stime))
}

/// The clocks at one instant.
struct CpuMark {
    wall: Instant,
    process: f64,
    host: HostTimes,
}

impl CpuMark {
    fn now() -> anyhow::Result<CpuMark> {
        Ok(CpuMark {
            wall: Instant::now(),
            process: process_cpu_seconds()?,
            host: host_times()?,
        })
    }
}

/// One side's CPU use over its transfer, percent of one core.
#[derive(Debug, Clone, Copy, Default)]
struct CpuUse {
    process_pct: f64,
    /// None when the window was shorter than the kernel's tick.
    host_pct: Option<f64>,
    /// CPUs the process may run on.
    cores: usize,
}

impl CpuUse {
    fn between(a: &CpuMark, b: &CpuMark) -> CpuUse {
        let wall = (b.wall - a.wall).as_secs_f64();
        let total = b.host.total.saturating_sub(a.host.total);
        let busy = b.host.busy.saturating_sub(a.host.busy);
        CpuUse {
            process_pct: if wall > 0.0 {
                100.0 * (b.process - a.process) / wall
            } else {
                0.0
            },
            host_pct: (total > 0).then(|| 100.0 * b.host.cpus as f64 * busy as f64 / total as f64),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

// --- connecting -----------------------------------------------------------

fn hello(k: usize, conn: usize) -> [u8; HELLO_LEN] {
    let mut h = [0u8; HELLO_LEN];
    h[..8].copy_from_slice(&HELLO_MAGIC);
    h[8..12].copy_from_slice(&(k as u32).to_le_bytes());
    h[12..].copy_from_slice(&(conn as u32).to_le_bytes());
    h
}

/// Says what a timed-out or failed socket call means.
fn io_context(e: io::Error, what: &str, timeout: Duration) -> anyhow::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => anyhow!(
            "{what}: nothing for {} s (--io-timeout): is the peer alive?",
            timeout.as_secs_f64()
        ),
        _ => anyhow::Error::new(e).context(what.to_string()),
    }
}

fn set_timeouts(s: &TcpStream, timeout: Duration) -> io::Result<()> {
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))
}

/// The sender's k connections, each opened with its hello.
fn connect_all(to: SocketAddrV4, k: usize, timeout: Duration) -> anyhow::Result<Vec<TcpStream>> {
    (0..k)
        .map(|i| {
            let what = format!("connection {i} of {k} to the receiver at {to}");
            let mut s = TcpStream::connect_timeout(&SocketAddr::V4(to), timeout)
                .map_err(|e| io_context(e, &what, timeout))?;
            set_timeouts(&s, timeout).with_context(|| what.clone())?;
            s.write_all(&hello(k, i))
                .map_err(|e| io_context(e, &what, timeout))?;
            Ok(s)
        })
        .collect()
}

/// Waits until `fd` is readable or `deadline` passes.
fn wait_readable(fd: i32, deadline: Instant) -> io::Result<bool> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        match unsafe { libc::poll(&mut p, 1, ms) } {
            -1 => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            0 => {}
            _ => return Ok(true),
        }
    }
}

/// The receiver's k connections of step k, in the sender's order (from
/// their hellos), all within `timeout`.
fn accept_all(
    listener: &TcpListener,
    k: usize,
    timeout: Duration,
) -> anyhow::Result<Vec<TcpStream>> {
    let local = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + timeout;
    let mut slots: Vec<Option<TcpStream>> = (0..k).map(|_| None).collect();
    let mut got = 0;
    while got < k {
        let (mut s, from) = match listener.accept() {
            Ok(x) => x,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !wait_readable(listener.as_raw_fd(), deadline)
                    .with_context(|| format!("waiting for connections on {local}"))?
                {
                    bail!(
                        "accepted {got} of {k} connections on {local} within {} s (--io-timeout): is the sender alive?",
                        timeout.as_secs_f64()
                    );
                }
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("accepting on {local}")),
        };
        let what = format!("connection from {from} on {local}");
        s.set_nonblocking(false).with_context(|| what.clone())?;
        set_timeouts(&s, timeout).with_context(|| what.clone())?;
        let mut h = [0u8; HELLO_LEN];
        s.read_exact(&mut h)
            .map_err(|e| io_context(e, &format!("{what}: reading its hello"), timeout))?;
        let step = u32::from_le_bytes(h[8..12].try_into().expect("4 bytes")) as usize;
        let conn = u32::from_le_bytes(h[12..].try_into().expect("4 bytes")) as usize;
        if h[..8] != HELLO_MAGIC || step != k || conn >= k || slots[conn].is_some() {
            bail!("{what}: not the sender's connection of this step (hello {h:02x?}, expected step {k})");
        }
        slots[conn] = Some(s);
        got += 1;
    }
    Ok(slots
        .into_iter()
        .map(|s| s.expect("all accepted"))
        .collect())
}

// --- transfer -------------------------------------------------------------

/// What one connection carried, as one side saw it; times in seconds from
/// the side's start of the transfer.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct ConnResult {
    bytes: u64,
    start: f64,
    end: f64,
    /// Receiver only: bytes checked against the pattern, and wrong ones.
    checked: u64,
    wrong: u64,
}

impl ConnResult {
    fn rate_mbs(&self) -> f64 {
        rate(self.bytes, self.end - self.start)
    }
}

fn rate(bytes: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        bytes as f64 / seconds / 1e6
    } else {
        0.0
    }
}

/// One side of one step.
#[derive(Debug, Clone, Default)]
struct Side {
    conns: Vec<ConnResult>,
    cpu: CpuUse,
}

impl Side {
    fn bytes(&self) -> u64 {
        self.conns.iter().map(|c| c.bytes).sum()
    }

    /// All bytes over the span from the earliest start to the latest end.
    fn rate_mbs(&self) -> f64 {
        let start = self
            .conns
            .iter()
            .map(|c| c.start)
            .fold(f64::INFINITY, f64::min);
        let end = self.conns.iter().map(|c| c.end).fold(0.0, f64::max);
        rate(self.bytes(), end - start)
    }

    /// Per connection: bytes, start, end, checked, wrong; then process %,
    /// host % (NaN: none), cores.
    fn flatten(&self, k: usize) -> Vec<f64> {
        let mut v = Vec::with_capacity(5 * k + 3);
        for i in 0..k {
            let c = self.conns.get(i).copied().unwrap_or_default();
            v.extend([
                c.bytes as f64,
                c.start,
                c.end,
                c.checked as f64,
                c.wrong as f64,
            ]);
        }
        v.extend([
            self.cpu.process_pct,
            self.cpu.host_pct.unwrap_or(f64::NAN),
            self.cpu.cores as f64,
        ]);
        v
    }

    fn unflatten(v: &[f64], k: usize) -> Side {
        let conns = v[..5 * k]
            .chunks(5)
            .map(|c| ConnResult {
                bytes: c[0] as u64,
                start: c[1],
                end: c[2],
                checked: c[3] as u64,
                wrong: c[4] as u64,
            })
            .collect();
        let t = &v[5 * k..];
        Side {
            conns,
            cpu: CpuUse {
                process_pct: t[0],
                host_pct: (!t[1].is_nan()).then_some(t[1]),
                cores: t[2] as usize,
            },
        }
    }
}

/// Runs `work` on one scoped thread per stream and joins them all; the
/// first error (or panic) is the result, after every thread has ended.
fn on_threads<F>(streams: Vec<TcpStream>, work: F) -> anyhow::Result<Side>
where
    F: Fn(usize, TcpStream, Instant) -> anyhow::Result<ConnResult> + Sync,
{
    let before = CpuMark::now()?;
    let epoch = before.wall;
    let results: Vec<anyhow::Result<ConnResult>> = std::thread::scope(|s| {
        let work = &work;
        let handles: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(i, st)| s.spawn(move || work(i, st, epoch)))
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("the thread of connection {i} panicked")))
            })
            .collect()
    });
    let after = CpuMark::now()?;
    let conns = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Side {
        conns,
        cpu: CpuUse::between(&before, &after),
    })
}

/// One sender thread: blocks until `duration` has passed since the first.
fn send_one(
    conn: usize,
    mut s: TcpStream,
    epoch: Instant,
    cfg: &Config,
    corrupt: bool,
) -> anyhow::Result<ConnResult> {
    let ws = cfg.write_size;
    let mut block: Vec<u8> = (0..ws).map(|p| body_byte(conn, p)).collect();
    let what = format!("sending on connection {conn}");
    let first = Instant::now();
    let mut index = 0u64;
    loop {
        let mut h = header(conn, index);
        if corrupt && index == 0 {
            h.iter_mut().for_each(|b| *b = !*b);
        }
        block[..HEADER].copy_from_slice(&h);
        s.write_all(&block)
            .map_err(|e| io_context(e, &what, cfg.io_timeout))?;
        index += 1;
        if first.elapsed() >= cfg.duration {
            break;
        }
    }
    let end = epoch.elapsed().as_secs_f64();
    s.shutdown(Shutdown::Write)
        .map_err(|e| io_context(e, &what, cfg.io_timeout))?;
    Ok(ConnResult {
        bytes: index * ws as u64,
        start: (first - epoch).as_secs_f64(),
        end,
        ..ConnResult::default()
    })
}

/// One receiver thread: reads to end of file, checking the pattern.
fn recv_one(
    conn: usize,
    mut s: TcpStream,
    epoch: Instant,
    cfg: &Config,
) -> anyhow::Result<ConnResult> {
    let mut buf = vec![0u8; cfg.write_size];
    let what = format!("receiving on connection {conn}");
    let mut r = ConnResult::default();
    let mut first: Option<f64> = None;
    loop {
        let n = match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_context(e, &what, cfg.io_timeout)),
        };
        first.get_or_insert_with(|| epoch.elapsed().as_secs_f64());
        let (checked, wrong) = check_chunk(conn, cfg.write_size, r.bytes, &buf[..n]);
        r.checked += checked;
        r.wrong += wrong;
        r.bytes += n as u64;
    }
    r.end = epoch.elapsed().as_secs_f64();
    r.start = first.unwrap_or(r.end);
    Ok(r)
}

// --- the run --------------------------------------------------------------

/// One step as both sides saw it.
struct Step {
    k: usize,
    send: Side,
    recv: Side,
}

impl Step {
    /// Connections whose two byte counts differ.
    fn count_mismatches(&self) -> usize {
        self.send
            .conns
            .iter()
            .zip(&self.recv.conns)
            .filter(|(s, r)| s.bytes != r.bytes)
            .count()
    }

    fn wrong(&self) -> u64 {
        self.recv.conns.iter().map(|c| c.wrong).sum()
    }

    fn checked(&self) -> u64 {
        self.recv.conns.iter().map(|c| c.checked).sum()
    }
}

pub fn run(world: &World, args: &Args) -> anyhow::Result<TestResult> {
    let cfg = args.check()?;
    let pair = Pair::of(&world.rank_hosts)?;
    let role = pair.role(world.rank);
    let who = |r: usize| format!("rank {r} on {}", world.rank_hosts[r]);
    // Errors of ranks other than 0 reach the user as "rank N: ...".
    let me = match role {
        Role::Sender => format!("sender on {}", world.rank_hosts[pair.sender]),
        Role::Receiver => format!("receiver on {}", world.rank_hosts[pair.receiver]),
        Role::Idle => String::new(),
    };

    // Both sides' interfaces (not needed on one host).
    let listed = if role == Role::Idle || pair.same_host {
        Ok(Vec::new())
    } else {
        interfaces().with_context(|| me.clone())
    };
    let mine = agree_all(world, listed)?;
    let sender_ifaces = decode(&broadcast_from(
        world,
        pair.sender,
        (role == Role::Sender).then(|| encode(&mine)),
    ))?;
    let receiver_ifaces = decode(&broadcast_from(
        world,
        pair.receiver,
        (role == Role::Receiver).then(|| encode(&mine)),
    ))?;

    // The receiver's socket, its address and port to everyone.
    let bound = if role == Role::Receiver {
        listen_address(&cfg, &pair, &receiver_ifaces, &sender_ifaces)
            .and_then(|(addr, why)| {
                let l = TcpListener::bind(SocketAddrV4::new(addr, 0))
                    .with_context(|| format!("listening on {addr} ({why})"))?;
                let port = l
                    .local_addr()
                    .context("the listening socket's port")?
                    .port();
                Ok(Some((l, SocketAddrV4::new(addr, port), why)))
            })
            .with_context(|| me.clone())
    } else {
        Ok(None)
    };
    let bound = agree_all(world, bound)?;
    let mut endpoint = [0u32; 2];
    if let Some((_, at, _)) = &bound {
        endpoint = [u32::from(*at.ip()), u32::from(at.port())];
    }
    world
        .comm
        .process_at_rank(pair.receiver as i32)
        .broadcast_into(&mut endpoint[..]);
    let target = SocketAddrV4::new(Ipv4Addr::from(endpoint[0]), endpoint[1] as u16);
    let why = broadcast_from(
        world,
        pair.receiver,
        bound.as_ref().map(|(_, _, why)| why.clone().into_bytes()),
    );
    let why = String::from_utf8_lossy(&why).into_owned();
    let listener = bound.map(|(l, _, _)| l);

    let mut steps = Vec::with_capacity(cfg.pairs.len());
    for &k in &cfg.pairs {
        let step = format!("{me}, {k} pair(s)");
        let connected = match role {
            Role::Sender => connect_all(target, k, cfg.io_timeout),
            Role::Receiver => accept_all(
                listener.as_ref().expect("the receiver listens"),
                k,
                cfg.io_timeout,
            ),
            Role::Idle => Ok(Vec::new()),
        };
        let streams = agree_all(world, connected.with_context(|| step.clone()))?;
        let moved = match role {
            Role::Sender => on_threads(streams, |i, s, epoch| {
                send_one(i, s, epoch, &cfg, cfg.inject_fault && i == 0)
            }),
            Role::Receiver => on_threads(streams, |i, s, epoch| recv_one(i, s, epoch, &cfg)),
            Role::Idle => {
                std::thread::sleep(cfg.duration);
                Ok(Side::default())
            }
        };
        let side = agree_all(world, moved.with_context(|| step.clone()))?;
        let all = all_gather_f64(world, &side.flatten(k));
        steps.push(Step {
            k,
            send: Side::unflatten(&all[pair.sender], k),
            recv: Side::unflatten(&all[pair.receiver], k),
        });
    }
    drop(listener);

    Ok(result(
        &cfg,
        &pair,
        &[who(pair.sender), who(pair.receiver)],
        (&sender_ifaces, &receiver_ifaces),
        target,
        &why,
        &steps,
    ))
}

/// The test's result from the steps.
fn result(
    cfg: &Config,
    pair: &Pair,
    names: &[String; 2],
    (sender_ifaces, receiver_ifaces): (&[Iface], &[Iface]),
    target: SocketAddrV4,
    why: &str,
    steps: &[Step],
) -> TestResult {
    let mut metrics = Vec::new();
    for st in steps {
        let k = st.k;
        let rates = |s: &Side| s.conns.iter().map(ConnResult::rate_mbs).collect::<Vec<_>>();
        metrics.push(
            Metric::new(format!("Send_MBs_{k}"), "MB/s", st.send.rate_mbs())
                .key(key("MicroNet_Send_MBs", k))
                .samples(rates(&st.send)),
        );
        metrics.push(
            Metric::new(format!("Recv_MBs_{k}"), "MB/s", st.recv.rate_mbs())
                .key(key("MicroNet_Recv_MBs", k))
                .samples(rates(&st.recv)),
        );
        metrics.push(
            Metric::new(
                format!("SendCPU_pct_{k}"),
                "% of one core",
                st.send.cpu.process_pct,
            )
            .key(key("MicroNet_SendCPU_pct", k))
            .lower_is_better(),
        );
        metrics.push(
            Metric::new(
                format!("RecvCPU_pct_{k}"),
                "% of one core",
                st.recv.cpu.process_pct,
            )
            .key(key("MicroNet_RecvCPU_pct", k))
            .lower_is_better(),
        );
        for (name, side) in [("SendHostBusy", &st.send), ("RecvHostBusy", &st.recv)] {
            if let Some(p) = side.cpu.host_pct {
                metrics.push(
                    Metric::new(format!("{name}_pct_{k}"), "% of one core", p).lower_is_better(),
                );
            }
        }
    }
    let mismatched: usize = steps.iter().map(Step::count_mismatches).sum();
    let wrong: u64 = steps.iter().map(Step::wrong).sum();

    TestResult {
        name: "MicroNet",
        section: section(cfg, names, (sender_ifaces, receiver_ifaces), target, why, steps),
        summary: Vec::new(),
        metrics,
        verification: vec![
            Verification {
                name: "connections whose receiver's byte count differs from the sender's".into(),
                value: mismatched as f64,
                threshold: 0.0,
                rule: "value <= threshold",
                passed: mismatched == 0,
            },
            Verification {
                name: "checked bytes (each block's index and one body byte) that differ from the pattern".into(),
                value: wrong as f64,
                threshold: 0.0,
                rule: "value <= threshold",
                passed: wrong == 0,
            },
        ],
        timing_rules: "one step per --pairs count, in order; connections made and every rank agreed before the transfer; \
                       each sender thread timed from just before its first write to the return of its last, \
                       each receiver thread from its first byte to end of file; a side's MB/s = its bytes / \
                       (latest end - earliest start), MB = 10^6 bytes; samples = each connection's own rate; \
                       CPU = getrusage(RUSAGE_SELF) user+sys over the side's wall time of the transfer phase, \
                       percent of one core; host busy = /proc/stat (total - idle - iowait) over the same window, \
                       percent of one core",
        parameters: json!({
            "duration_s": cfg.duration.as_secs_f64(),
            "write_size": cfg.write_size,
            "pairs": cfg.pairs,
            "io_timeout_s": cfg.io_timeout.as_secs_f64(),
            "sender_rank": pair.sender,
            "receiver_rank": pair.receiver,
            "same_host": pair.same_host,
            "address": target.ip().to_string(),
            "port": target.port(),
            "address_choice": why,
            "sender_interfaces": sender_ifaces.iter().map(Iface::to_string).collect::<Vec<_>>(),
            "receiver_interfaces": receiver_ifaces.iter().map(Iface::to_string).collect::<Vec<_>>(),
            "sender_cores": steps.first().map_or(0, |s| s.send.cpu.cores),
            "receiver_cores": steps.first().map_or(0, |s| s.recv.cpu.cores),
        }),
    }
}

fn section(
    cfg: &Config,
    names: &[String; 2],
    (sender_ifaces, receiver_ifaces): (&[Iface], &[Iface]),
    target: SocketAddrV4,
    why: &str,
    steps: &[Step],
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "TCP streams of {} B writes for {} s per step; sender {}, receiver {}",
        cfg.write_size,
        cfg.duration.as_secs_f64(),
        names[0],
        names[1]
    );
    let _ = writeln!(s, "Receiver listens on {target} ({why})");
    if !sender_ifaces.is_empty() || !receiver_ifaces.is_empty() {
        let _ = writeln!(s, "Sender's interfaces: {}", list(sender_ifaces));
        let _ = writeln!(s, "Receiver's interfaces: {}", list(receiver_ifaces));
    }
    let _ = writeln!(
        s,
        "MB = 10^6 bytes; CPU in percent of one core: 'process' = the rank's own CPU time \
         (getrusage), 'host' = the busy time of its whole host (/proc/stat)"
    );
    let pct = |p: Option<f64>| p.map_or("-".to_string(), |p| format!("{p:.1}"));
    for st in steps {
        let _ = writeln!(s, "\n{} pair(s):", st.k);
        let _ = writeln!(
            s,
            "  {:>4}  {:>14}  {:>14}  {:>10}  {:>10}",
            "conn", "bytes sent", "bytes received", "send MB/s", "recv MB/s"
        );
        for (i, (a, b)) in st.send.conns.iter().zip(&st.recv.conns).enumerate() {
            let _ = writeln!(
                s,
                "  {i:>4}  {:>14}  {:>14}  {:>10.1}  {:>10.1}",
                a.bytes,
                b.bytes,
                a.rate_mbs(),
                b.rate_mbs()
            );
        }
        let _ = writeln!(
            s,
            "  {:>4}  {:>14}  {:>14}  {:>10.1}  {:>10.1}   ({:.0} / {:.0} Mbit/s)",
            "all",
            st.send.bytes(),
            st.recv.bytes(),
            st.send.rate_mbs(),
            st.recv.rate_mbs(),
            st.send.rate_mbs() * 8.0,
            st.recv.rate_mbs() * 8.0
        );
        let _ = writeln!(
            s,
            "  CPU %: sender process {:.1} (of {} core(s)), host {}; receiver process {:.1} (of {} core(s)), host {}",
            st.send.cpu.process_pct,
            st.send.cpu.cores,
            pct(st.send.cpu.host_pct),
            st.recv.cpu.process_pct,
            st.recv.cpu.cores,
            pct(st.recv.cpu.host_pct)
        );
        let _ = writeln!(
            s,
            "  Check: {} byte count(s) differ; {} of {} checked bytes wrong",
            st.count_mismatches(),
            st.wrong(),
            st.checked()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, addr: &str, prefix: u32) -> Iface {
        Iface {
            name: name.into(),
            addr: addr.parse().unwrap(),
            prefix,
        }
    }

    fn args(pairs: &str) -> Args {
        Args {
            duration: 1.0,
            write_size: 16384,
            pairs: pairs.into(),
            listen: None,
            io_timeout: 5.0,
            inject_fault: false,
            common: Common::for_tests(),
        }
    }

    #[test]
    fn keys_match_their_constants() {
        for (i, k) in FIGURE_PAIRS.iter().enumerate() {
            assert_eq!(key("MicroNet_Send_MBs", *k), KEY_SEND_MBS[i]);
            assert_eq!(key("MicroNet_Recv_MBs", *k), KEY_RECV_MBS[i]);
            assert_eq!(key("MicroNet_SendCPU_pct", *k), KEY_SEND_CPU[i]);
            assert_eq!(key("MicroNet_RecvCPU_pct", *k), KEY_RECV_CPU[i]);
        }
    }

    #[test]
    fn subnet_matching() {
        let vh0 = iface("eth0", "10.213.0.1", 24);
        let vh1 = iface("eth0", "10.213.0.2", 24);
        let other = iface("eth1", "192.168.5.7", 24);
        assert!(vh0.shares_subnet(&vh1) && vh1.shares_subnet(&vh0));
        assert!(!vh1.shares_subnet(&other));
        // Inside a /16 but not inside the other's /24: not on one link.
        let wide = iface("eth0", "10.213.7.9", 16);
        assert!(!vh1.shares_subnet(&wide));
        assert!(iface("a", "10.213.0.9", 16).shares_subnet(&vh1));
        // The receiver's first matching address, whatever the order.
        let receiver = [other.clone(), vh1.clone()];
        let sender = [iface("docker0", "172.17.0.1", 16), vh0.clone()];
        let (r, s) = choose_listen(&receiver, &sender).unwrap();
        assert_eq!((r, s), (&vh1, &vh0));
        assert!(choose_listen(&[other], &sender).is_none());
        assert!(choose_listen(&[], &sender).is_none());
        // /32 point-to-point and /0 edges.
        assert!(!iface("p", "10.0.0.1", 32).shares_subnet(&iface("q", "10.0.0.2", 32)));
        assert!(iface("p", "1.2.3.4", 0).shares_subnet(&iface("q", "9.9.9.9", 0)));
    }

    #[test]
    fn no_shared_subnet_names_both_lists() {
        let cfg = args("1").check().unwrap();
        let pair = Pair {
            sender: 0,
            receiver: 3,
            same_host: false,
        };
        let e = listen_address(
            &cfg,
            &pair,
            &[iface("eth0", "10.1.0.2", 24)],
            &[iface("eth0", "10.2.0.2", 24)],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("eth0 10.1.0.2/24")
                && e.contains("eth0 10.2.0.2/24")
                && e.contains("--listen"),
            "{e}"
        );
        let same = Pair {
            same_host: true,
            ..pair
        };
        assert_eq!(
            listen_address(&cfg, &same, &[], &[]).unwrap().0,
            Ipv4Addr::LOCALHOST
        );
    }

    #[test]
    fn interface_lists_survive_the_exchange() {
        let l = vec![
            iface("eth0", "10.213.0.2", 24),
            iface("wg 0", "10.9.0.1", 32),
        ];
        assert_eq!(decode(&encode(&l)).unwrap(), l);
        assert_eq!(decode(&[]).unwrap(), vec![]);
        // This host's own list parses, and never holds the loopback.
        assert!(interfaces().unwrap().iter().all(|i| !i.addr.is_loopback()));
    }

    #[test]
    fn proc_stat_parsing() {
        let text = "cpu  100 5 50 1000 20 3 2 7 0 0\n\
                    cpu0 50 2 25 500 10 1 1 3 0 0\n\
                    cpu1 50 3 25 500 10 2 1 4 0 0\n\
                    intr 12345 0 0\nctxt 999\ncpuidle 1\n";
        let t = parse_proc_stat(text).unwrap();
        assert_eq!(t.busy, 100 + 5 + 50 + 3 + 2 + 7);
        assert_eq!(t.total, t.busy + 1000 + 20);
        assert_eq!(t.cpus, 2);
        // Old kernels have fewer fields.
        let old = parse_proc_stat("cpu 1 2 3 4 5\ncpu0 1 2 3 4 5\n").unwrap();
        assert_eq!((old.busy, old.total, old.cpus), (6, 15, 1));
        assert!(parse_proc_stat("intr 1\n").is_err());
        assert!(parse_proc_stat("cpu 1 x 3 4 5\ncpu0 1\n").is_err());
        assert!(parse_proc_stat("cpu 1 2\ncpu0 1\n").is_err());
        // This host's.
        let here = host_times().unwrap();
        assert!(here.cpus >= 1 && here.busy <= here.total);
    }

    #[test]
    fn host_busy_is_in_percent_of_one_core() {
        let mark = |busy, total, cpus| CpuMark {
            wall: Instant::now(),
            process: 0.0,
            host: HostTimes { busy, total, cpus },
        };
        // Half of 4 CPUs busy: 200% of one core.
        let u = CpuUse::between(&mark(0, 0, 4), &mark(50, 100, 4));
        assert!((u.host_pct.unwrap() - 200.0).abs() < 1e-9);
        assert_eq!(
            CpuUse::between(&mark(7, 9, 4), &mark(7, 9, 4)).host_pct,
            None
        );
    }

    #[test]
    fn pattern_check_finds_every_wrong_header_wherever_reads_split() {
        let ws = 64;
        let stream: Vec<u8> = (0..10 * ws as u64)
            .map(|o| expected_byte(3, ws, o))
            .collect();
        // Reads of awkward sizes, across block boundaries.
        for step in [1, 5, 7, 63, 64, 65, 200] {
            let (mut checked, mut wrong, mut at) = (0, 0, 0);
            for c in stream.chunks(step) {
                let (a, b) = check_chunk(3, ws, at, c);
                checked += a;
                wrong += b;
                at += c.len() as u64;
            }
            assert_eq!(
                (checked, wrong),
                (10 * (HEADER as u64 + 1), 0),
                "reads of {step}"
            );
        }
        // Another connection's stream fails the check.
        assert!(check_chunk(4, ws, 0, &stream).1 > 0);
        // A wrong index byte, or the sampled body byte, is found.
        let mut bad = stream.clone();
        bad[2 * ws + 5] ^= 1;
        assert_eq!(check_chunk(3, ws, 0, &bad), (10 * 9, 1));
        let mut bad = stream.clone();
        bad[7 * ws + sample_pos(7, ws)] ^= 0x80;
        assert_eq!(check_chunk(3, ws, 0, &bad).1, 1);
        // The sampled byte moves from block to block.
        assert_ne!(sample_pos(1, 16384), sample_pos(2, 16384));
    }

    #[test]
    fn options_are_checked() {
        assert_eq!(args("1,2,4,8").check().unwrap().pairs, [1, 2, 4, 8]);
        assert_eq!(args(" 8, 1 ").check().unwrap().pairs, [8, 1]);
        for (pairs, words) in [
            ("1,1", "twice"),
            ("0", "outside"),
            ("65", "outside"),
            ("1,,2", "not a count"),
            ("two", "not a count"),
        ] {
            let e = args(pairs).check().unwrap_err().to_string();
            assert!(e.contains("--pairs") && e.contains(words), "{pairs}: {e}");
        }
        let mut a = args("1");
        a.duration = 0.0;
        assert!(a.check().unwrap_err().to_string().contains("--duration"));
        a.duration = f64::NAN;
        assert!(a.check().unwrap_err().to_string().contains("--duration"));
        let mut a = args("1");
        a.write_size = 8;
        assert!(a.check().unwrap_err().to_string().contains("--write-size"));
        let mut a = args("1");
        a.io_timeout = -1.0;
        assert!(a.check().unwrap_err().to_string().contains("--io-timeout"));
        for bad in ["0.0.0.0", "10.0.0", "255.255.255.255", "::1"] {
            let mut a = args("1");
            a.listen = Some(bad.into());
            let e = a.check().unwrap_err().to_string();
            assert!(e.contains("--listen"), "{bad}: {e}");
        }
    }

    #[test]
    fn pair_of_hosts() {
        let h = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let e = Pair::of(&h(&["a"])).unwrap_err().to_string();
        assert!(e.contains("two ranks") && e.contains("1 rank"), "{e}");
        assert_eq!(
            Pair::of(&h(&["a", "a", "b", "b"])).unwrap(),
            Pair {
                sender: 0,
                receiver: 2,
                same_host: false
            }
        );
        assert_eq!(
            Pair::of(&h(&["a", "a", "a"])).unwrap(),
            Pair {
                sender: 0,
                receiver: 1,
                same_host: true
            }
        );
        let p = Pair::of(&h(&["a", "b", "c"])).unwrap();
        assert_eq!(
            (p.role(0), p.role(1), p.role(2)),
            (Role::Sender, Role::Receiver, Role::Idle)
        );
    }

    /// A real transfer over the loopback, both sides in this process: the
    /// counts agree and the pattern checks out; an injected fault is seen.
    #[test]
    fn loopback_transfer_and_fault() {
        let mut a = args("2");
        a.duration = 0.05;
        a.write_size = 1000;
        let cfg = a.check().unwrap();
        for fault in [false, true] {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let SocketAddr::V4(to) = l.local_addr().unwrap() else {
                unreachable!()
            };
            let (out, inn) = std::thread::scope(|s| {
                let rx = s.spawn(|| accept_all(&l, 2, cfg.io_timeout).unwrap());
                let out = connect_all(to, 2, cfg.io_timeout).unwrap();
                (out, rx.join().unwrap())
            });
            let (send, recv) = std::thread::scope(|s| {
                let rx = s.spawn(|| on_threads(inn, |i, st, e| recv_one(i, st, e, &cfg)).unwrap());
                let tx =
                    on_threads(out, |i, st, e| send_one(i, st, e, &cfg, fault && i == 0)).unwrap();
                (tx, rx.join().unwrap())
            });
            let step = Step { k: 2, send, recv };
            assert_eq!(step.count_mismatches(), 0);
            assert!(step.send.bytes() >= 2000 && step.send.rate_mbs() > 0.0);
            assert_eq!(step.send.bytes() % 1000, 0);
            assert_eq!(step.checked(), step.recv.bytes() / 1000 * 9);
            assert_eq!(step.wrong(), if fault { 8 } else { 0 });
            let round = Side::unflatten(&step.recv.flatten(2), 2);
            assert_eq!(round.conns, step.recv.conns);
        }
    }

    /// A peer that connects but never sends, or never connects, is an error
    /// within the timeout, not a hang.
    #[test]
    fn silent_peer_times_out() {
        let mut a = args("1");
        a.io_timeout = 0.3;
        let cfg = a.check().unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let t0 = Instant::now();
        let e = accept_all(&l, 1, cfg.io_timeout).unwrap_err().to_string();
        assert!(
            e.contains("accepted 0 of 1") && e.contains("--io-timeout"),
            "{e}"
        );
        // Connected, hello sent, then silence.
        let SocketAddr::V4(to) = l.local_addr().unwrap() else {
            unreachable!()
        };
        let out = connect_all(to, 1, cfg.io_timeout).unwrap();
        let inn = accept_all(&l, 1, cfg.io_timeout).unwrap();
        let e = on_threads(inn, |i, st, ep| recv_one(i, st, ep, &cfg))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("receiving on connection 0") && e.contains("--io-timeout"),
            "{e}"
        );
        drop(out);
        assert!(t0.elapsed() < Duration::from_secs(5));
        // Nobody listening.
        drop(l);
        assert!(connect_all(to, 1, cfg.io_timeout).is_err());
    }
}
