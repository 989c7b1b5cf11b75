//! The two directions between the interfaces, their threads and counters,
//! and the end: a signal, an interface gone, or an error.
//!
//! Host to bridge: a reader thread receives each frame, stamps it with the
//! time it arrived, draws its loss and queues it on the delay line; a
//! sender thread takes the oldest, sleeps until it is due and sends it.
//! With no delay the reader sends at once. Bridge to host: a reader thread
//! sends each frame at once.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::line::{sleep_until, DelayLine, Loss};
use crate::packet::{PacketSocket, Received, MAX_FRAME, VNET_HDR_LEN};
use crate::spec::Options;

/// What one direction did.
#[derive(Default)]
pub struct Counters {
    pub forwarded: AtomicU64,
    /// Frame bytes forwarded (without the virtio header).
    pub bytes: AtomicU64,
    pub lost: AtomicU64,
    pub over_limit: AtomicU64,
    pub truncated: AtomicU64,
    pub send_errors: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    fn sent(&self, from: &PacketSocket, to: &PacketSocket, frame: &[u8]) {
        match to.send(frame) {
            Ok(()) => {
                Self::add(&self.forwarded);
                self.bytes
                    .fetch_add(frame.len().saturating_sub(VNET_HDR_LEN) as u64, Relaxed);
            }
            Err(e) => {
                if self.send_errors.fetch_add(1, Relaxed) == 0 {
                    eprintln!(
                        "rhpcc-vcdelay: {} -> {}: sending failed: {e} (counted, not shown again)",
                        from.name(),
                        to.name()
                    );
                }
            }
        }
    }
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let get = |c: &AtomicU64| c.load(Relaxed);
        write!(
            f,
            "{} frames ({} bytes) forwarded, {} lost, {} over the queue limit, {} too long, {} send errors",
            get(&self.forwarded),
            get(&self.bytes),
            get(&self.lost),
            get(&self.over_limit),
            get(&self.truncated),
            get(&self.send_errors)
        )
    }
}

/// Why the relay ended.
#[derive(Debug, PartialEq)]
pub enum End {
    Signal(i32),
    InterfaceGone(String),
    Failed(String),
}

/// Receives frames from `from` until its interface disappears or receiving
/// fails, handing each to `deliver` with its arrival time.
fn read_loop(
    from: &PacketSocket,
    counters: &Counters,
    mut deliver: impl FnMut(Instant, &[u8]),
) -> End {
    let mut buf = vec![0u8; MAX_FRAME];
    loop {
        match from.recv(&mut buf) {
            Ok(Received::Frame(n)) => deliver(Instant::now(), &buf[..n]),
            Ok(Received::Outgoing) => {}
            Ok(Received::Truncated(_)) => Counters::add(&counters.truncated),
            Ok(Received::Idle) | Err(_) if !from.interface_exists() => {
                return End::InterfaceGone(from.name().to_string())
            }
            Ok(Received::Idle) => {}
            // Reported once when the interface goes down (and when it is
            // deleted, seen above).
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENETDOWN | libc::EINTR)) => {}
            Err(e) => return End::Failed(format!("receiving on {}: {e}", from.name())),
        }
    }
}

fn seed() -> u64 {
    let mut seed = 0u64;
    // SAFETY: writes at most 8 bytes into `seed`.
    let n = unsafe { libc::getrandom((&mut seed as *mut u64).cast(), 8, 0) };
    if n != 8 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        seed = now.map_or(0, |d| d.as_nanos() as u64) ^ u64::from(std::process::id());
    }
    seed
}

/// The signals that end the relay, blocked in every thread and taken by
/// `sigwait` in one.
fn end_signals() -> libc::sigset_t {
    // SAFETY: sigemptyset initializes the set; the signals are valid.
    unsafe {
        let mut set = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::sigaddset(&mut set, sig);
        }
        set
    }
}

/// Relays between the two interfaces of `opts` until the end, printing to
/// stderr a line when ready and the counters at the end. Call it from the
/// main thread before starting any other: it blocks the ending signals for
/// every thread it starts.
pub fn run(opts: &Options) -> Result<End, String> {
    let signals = end_signals();
    // SAFETY: a valid set; the old mask is not wanted.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &signals, std::ptr::null_mut()) };
    if r != 0 {
        return Err(format!("pthread_sigmask: error {r}"));
    }
    let host = Arc::new(PacketSocket::open(&opts.host_side).map_err(|e| e.to_string())?);
    let bridge = Arc::new(PacketSocket::open(&opts.bridge_side).map_err(|e| e.to_string())?);
    let egress = Arc::new(Counters::default());
    let ingress = Arc::new(Counters::default());
    let (end_tx, end_rx) = channel::<End>();

    let spawn = |name: &str, body: Box<dyn FnOnce() -> End + Send>, end: Sender<End>| {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _ = end.send(body());
            })
            .map(drop)
            .map_err(|e| format!("starting thread {name}: {e}"))
    };

    let egress_reader: Box<dyn FnOnce() -> End + Send> = {
        let (host, bridge, counters) = (host.clone(), bridge.clone(), egress.clone());
        let mut loss = Loss::new(opts.loss, seed());
        if opts.delay.is_zero() {
            Box::new(move || {
                read_loop(&host, &counters, |_, frame| {
                    if loss.drops() {
                        Counters::add(&counters.lost);
                    } else {
                        counters.sent(&host, &bridge, frame);
                    }
                })
            })
        } else {
            let line = Arc::new(DelayLine::new(opts.delay, opts.limit_bytes));
            let sender: Box<dyn FnOnce() -> End + Send> = {
                let (host, bridge, counters, line) =
                    (host.clone(), bridge.clone(), counters.clone(), line.clone());
                Box::new(move || {
                    // Wake on time: the kernel's default 50 us of timer
                    // slack would be added to every delay.
                    // SAFETY: prctl with an integer argument.
                    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
                    loop {
                        let (due, frame) = line.pop();
                        sleep_until(due);
                        counters.sent(&host, &bridge, &frame);
                    }
                })
            };
            spawn("delay-sender", sender, end_tx.clone())?;
            Box::new(move || {
                read_loop(&host, &counters, |arrived, frame| {
                    if loss.drops() {
                        Counters::add(&counters.lost);
                    } else if line.push(arrived, frame.to_vec()).is_err() {
                        Counters::add(&counters.over_limit);
                    }
                })
            })
        }
    };
    spawn("host-to-bridge", egress_reader, end_tx.clone())?;
    let ingress_reader: Box<dyn FnOnce() -> End + Send> = {
        let (host, bridge, counters) = (host.clone(), bridge.clone(), ingress.clone());
        Box::new(move || read_loop(&bridge, &counters, |_, f| counters.sent(&bridge, &host, f)))
    };
    spawn("bridge-to-host", ingress_reader, end_tx.clone())?;
    spawn(
        "signals",
        Box::new(move || {
            let mut sig = 0;
            // SAFETY: the set is valid; `sig` receives the signal.
            unsafe { libc::sigwait(&signals, &mut sig) };
            End::Signal(sig)
        }),
        end_tx,
    )?;

    let loss_pct = opts.loss * 100.0;
    eprintln!(
        "rhpcc-vcdelay: relaying {} -> {} (delay {}, loss {loss_pct}%) and {} -> {}",
        opts.host_side,
        opts.bridge_side,
        show(opts.delay),
        opts.bridge_side,
        opts.host_side
    );
    let end = end_rx
        .recv()
        .unwrap_or_else(|_| End::Failed("every thread ended".into()));
    eprintln!(
        "rhpcc-vcdelay: {} -> {}: {egress}; {} -> {}: {ingress}; CPU time {:.2} s",
        opts.host_side,
        opts.bridge_side,
        opts.bridge_side,
        opts.host_side,
        cpu_seconds()
    );
    Ok(end)
}

/// User and system time this process has used, all threads.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// A delay as tc writes it.
fn show(d: Duration) -> String {
    if !d.subsec_nanos().is_multiple_of(1000) {
        format!("{}ns", d.as_nanos())
    } else if !d.as_micros().is_multiple_of(1000) {
        format!("{}us", d.as_micros())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_shown_in_tc_units() {
        assert_eq!(show(Duration::ZERO), "0ms");
        assert_eq!(show(Duration::from_micros(2000)), "2ms");
        assert_eq!(show(Duration::from_micros(1500)), "1500us");
        assert_eq!(show(Duration::from_nanos(1)), "1ns");
        assert_eq!(show(Duration::from_secs(1)), "1000ms");
    }

    #[test]
    fn counters_line() {
        let c = Counters::default();
        Counters::add(&c.lost);
        c.bytes.fetch_add(1500, Relaxed);
        assert_eq!(
            c.to_string(),
            "0 frames (1500 bytes) forwarded, 1 lost, 0 over the queue limit, 0 too long, 0 send errors"
        );
    }
}
