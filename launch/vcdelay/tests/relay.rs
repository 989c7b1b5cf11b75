//! The relay binary between real interfaces: two network namespaces A and
//! B, each joined by a veth pair to a third, R, where the relay runs
//! between the two R ends (A's side the host side). Checks that A -> B is
//! delayed and B -> A is not, that TCP's large (GSO) frames pass intact,
//! that loss drops, and that the relay ends on SIGTERM and when an
//! interface goes. Also its refusals of bad command lines.
//!
//! The namespace tests need root; without it they print why and pass.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

const RELAY: &str = env!("CARGO_BIN_EXE_rhpcc-vcdelay");
const A_ADDR: &str = "10.251.0.1";
const B_ADDR: &str = "10.251.0.2";

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
static SKIP: LazyLock<Option<String>> = LazyLock::new(|| {
    // SAFETY: plain getuid.
    if unsafe { libc::getuid() } != 0 {
        return Some("not root (network namespaces and packet sockets need root)".into());
    }
    let probe = format!("vd{}probe", std::process::id());
    match Command::new("ip").args(["netns", "add", &probe]).output() {
        Ok(out) if out.status.success() => {
            let _ = Command::new("ip").args(["netns", "del", &probe]).status();
            None
        }
        Ok(out) => Some(format!(
            "'ip netns add' fails: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("'ip' not found ({e})")),
    }
});

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip runs");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Namespaces A, B and R and the relay between R's interfaces; all removed
/// when dropped, before the next test may start.
struct Rig {
    prefix: String,
    relay: Option<Child>,
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
}

impl Rig {
    /// None (after saying why) where the tests cannot run.
    fn new(test: &str, relay_args: &[&str]) -> Option<Rig> {
        if let Some(why) = &*SKIP {
            let _ = writeln!(std::io::stderr(), "SKIPPED relay::{test}: {why}");
            return None;
        }
        let mut rig = Rig {
            prefix: format!("vd{}", std::process::id()),
            relay: None,
            _one_at_a_time: ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner()),
        };
        let (a, b, r) = (rig.ns("a"), rig.ns("b"), rig.ns("r"));
        for ns in [&a, &b, &r] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            // No IPv6 chatter among the frames counted.
            ip(&[
                "netns",
                "exec",
                ns,
                "sh",
                "-c",
                "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6",
            ]);
        }
        ip(&[
            "-n", &a, "link", "add", "x0", "type", "veth", "peer", "name", "x1", "netns", &r,
        ]);
        ip(&[
            "-n", &b, "link", "add", "y0", "type", "veth", "peer", "name", "y1", "netns", &r,
        ]);
        for (ns, dev, addr) in [(&a, "x0", A_ADDR), (&b, "y0", B_ADDR)] {
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        // Known neighbours: with loss, address resolution would fail.
        let mac = |ns: &str, dev: &str| {
            let out = Command::new("ip")
                .args(["netns", "exec", ns, "cat"])
                .arg(format!("/sys/class/net/{dev}/address"))
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let (mac_a, mac_b) = (mac(&a, "x0"), mac(&b, "y0"));
        ip(&[
            "-n",
            &a,
            "neigh",
            "replace",
            B_ADDR,
            "lladdr",
            &mac_b,
            "dev",
            "x0",
            "nud",
            "permanent",
        ]);
        ip(&[
            "-n",
            &b,
            "neigh",
            "replace",
            A_ADDR,
            "lladdr",
            &mac_a,
            "dev",
            "y0",
            "nud",
            "permanent",
        ]);
        for dev in ["x1", "y1"] {
            ip(&["-n", &r, "link", "set", dev, "arp", "off", "up"]);
        }
        let mut child = Command::new("ip")
            .args(["netns", "exec", &r, RELAY])
            .args(relay_args)
            .args(["x1", "y1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("relay starts");
        // Ready once it says so.
        let mut seen = Vec::new();
        let stderr = child.stderr.as_mut().unwrap();
        let mut byte = [0u8];
        while !String::from_utf8_lossy(&seen).contains('\n') {
            assert_eq!(stderr.read(&mut byte).unwrap(), 1, "relay ended early");
            seen.push(byte[0]);
        }
        let first = String::from_utf8_lossy(&seen).into_owned();
        assert!(
            first.starts_with("rhpcc-vcdelay: relaying x1 -> y1"),
            "{first}"
        );
        rig.relay = Some(child);
        Some(rig)
    }

    fn ns(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Runs `f` on a thread inside namespace `name`.
    fn inside<T: Send + 'static>(
        &self,
        name: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let path = format!("/run/netns/{}", self.ns(name));
        std::thread::spawn(move || {
            let file = std::fs::File::open(&path).expect("namespace file");
            // SAFETY: a namespace descriptor; only this thread moves.
            let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(r, 0, "setns {path}: {}", std::io::Error::last_os_error());
            f()
        })
    }

    /// Ends the relay with SIGTERM and returns its exit and stderr.
    fn stop(&mut self) -> Output {
        let child = self.relay.take().unwrap();
        let pid = child.id() as libc::pid_t;
        // SAFETY: our child's pid.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        wait(child)
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(mut child) = self.relay.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for name in ["a", "b", "r"] {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(name)])
                .output();
        }
    }
}

/// Waits at most 10 s for `child` to end.
fn wait(mut child: Child) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("relay did not end within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The words of the host-to-bridge half of the relay's last line,
/// `rhpcc-vcdelay: x1 -> y1: N frames (B bytes) forwarded, L lost, ...`.
fn egress_words(stderr: &str) -> Vec<String> {
    let line = stderr
        .lines()
        .rfind(|l| l.contains(" forwarded, "))
        .unwrap_or_else(|| panic!("no counters line in:\n{stderr}"));
    let egress = line.split(';').next().unwrap();
    assert!(egress.starts_with("rhpcc-vcdelay: x1 -> y1: "), "{line}");
    egress
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '(' || c == ',').to_string())
        .collect()
}

/// Frames and bytes forwarded host to bridge.
fn egress_frames(stderr: &str) -> (u64, u64) {
    let w = egress_words(stderr);
    (w[4].parse().unwrap(), w[6].parse().unwrap())
}

/// Frames lost host to bridge.
fn lost(stderr: &str) -> u64 {
    let w = egress_words(stderr);
    let at = w.iter().position(|w| w == "lost").unwrap();
    w[at - 1].parse().unwrap()
}

/// One-way times of `count` UDP datagrams A -> B and back, measured on this
/// machine's one monotonic clock.
fn one_way_times(rig: &Rig, count: usize) -> (Vec<Duration>, Vec<Duration>) {
    let server = rig.inside("b", move || {
        let sock = UdpSocket::bind((B_ADDR, 7000)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut arrivals = Vec::new();
        let mut buf = [0u8; 64];
        for _ in 0..count {
            let (_, from) = sock.recv_from(&mut buf).unwrap();
            arrivals.push(Instant::now());
            sock.send_to(&buf[..1], from).unwrap();
        }
        arrivals
    });
    std::thread::sleep(Duration::from_millis(200));
    let client = rig.inside("a", move || {
        let sock = UdpSocket::bind((A_ADDR, 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut times = Vec::new();
        let mut buf = [0u8; 64];
        for _ in 0..count {
            let sent = Instant::now();
            sock.send_to(b"x", (B_ADDR, 7000)).unwrap();
            sock.recv_from(&mut buf).unwrap();
            times.push((sent, Instant::now()));
        }
        times
    });
    let times = client.join().unwrap();
    let arrivals = server.join().unwrap();
    times
        .iter()
        .zip(&arrivals)
        .map(|(&(sent, back), &arrived)| (arrived - sent, back - arrived))
        .unzip()
}

#[test]
fn host_to_bridge_is_delayed_and_bridge_to_host_is_not() {
    let delay = Duration::from_millis(20);
    let Some(mut rig) = Rig::new("delay", &["--delay", "20ms"]) else {
        return;
    };
    let (there, back) = one_way_times(&rig, 10);
    let out = rig.stop();
    assert!(out.status.success(), "{out:?}");
    // Clear margins: the delayed way takes at least the delay, the other
    // far less than half of it.
    for t in &there {
        assert!(*t >= delay, "A -> B took {t:?}, less than {delay:?}");
    }
    let fastest_back = back.iter().min().unwrap();
    assert!(*fastest_back < delay / 2, "B -> A took {fastest_back:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (frames, _) = egress_frames(&stderr);
    assert!(frames >= 10, "{stderr}");
    assert_eq!(lost(&stderr), 0);
}

#[test]
fn tcp_frames_larger_than_the_mtu_pass_intact() {
    let Some(mut rig) = Rig::new("gso", &["--delay", "1ms"]) else {
        return;
    };
    let data: Vec<u8> = (0..8u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let expected = data.clone();
    let server = rig.inside("b", move || {
        let listener = TcpListener::bind((B_ADDR, 7001)).unwrap();
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).unwrap();
        got
    });
    std::thread::sleep(Duration::from_millis(200));
    rig.inside("a", move || {
        let mut conn = TcpStream::connect((B_ADDR, 7001)).unwrap();
        conn.write_all(&data).unwrap();
    })
    .join()
    .unwrap();
    let got = server.join().unwrap();
    let out = rig.stop();
    assert!(got == expected, "{} bytes arrived, not as sent", got.len());
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Above 1514 bytes a frame on average: GSO frames went through whole.
    let (frames, bytes) = egress_frames(&stderr);
    assert!(bytes >= 8 << 20, "{stderr}");
    assert!(bytes / frames > 1514, "{stderr}");
}

#[test]
fn loss_drops_host_to_bridge_frames_only() {
    let Some(mut rig) = Rig::new("loss", &["--loss", "100%"]) else {
        return;
    };
    let received = rig.inside("b", || {
        let sock = UdpSocket::bind((B_ADDR, 7002)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 8];
        sock.recv_from(&mut buf).is_ok()
    });
    std::thread::sleep(Duration::from_millis(200));
    rig.inside("a", || {
        let sock = UdpSocket::bind((A_ADDR, 0)).unwrap();
        for _ in 0..20 {
            sock.send_to(b"x", (B_ADDR, 7002)).unwrap();
        }
    })
    .join()
    .unwrap();
    assert!(!received.join().unwrap(), "a datagram passed 100% loss");
    // The other way passes.
    let listen = rig.inside("a", || {
        let sock = UdpSocket::bind((A_ADDR, 7004)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 8];
        sock.recv_from(&mut buf)
            .map(|(n, _)| buf[..n].to_vec())
            .unwrap()
    });
    std::thread::sleep(Duration::from_millis(200));
    rig.inside("b", || {
        let sock = UdpSocket::bind((B_ADDR, 0)).unwrap();
        sock.send_to(b"back", (A_ADDR, 7004)).unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(listen.join().unwrap(), b"back");
    let out = rig.stop();
    assert!(out.status.success());
    assert!(lost(&String::from_utf8_lossy(&out.stderr)) >= 20);
}

#[test]
fn ends_when_an_interface_goes() {
    let Some(mut rig) = Rig::new("gone", &[]) else {
        return;
    };
    ip(&["-n", &rig.ns("a"), "link", "del", "x0"]);
    let out = wait(rig.relay.take().unwrap());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("interface x1 is gone"), "{stderr}");
}

#[test]
fn bad_command_lines_are_refused() {
    let run = |args: &[&str]| {
        let out = Command::new(RELAY).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (args, want) in [
        (
            &["--delay", "2", "a0", "b0"][..],
            "--delay '2': expected a time with its unit",
        ),
        (
            &["--loss", "5", "a0", "b0"],
            "--loss '5': expected a percentage",
        ),
        (&["a0"], "expected two interfaces"),
        (&["nosuch0", "nosuch1"], "interface 'nosuch0' not found"),
    ] {
        let (code, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("rhpcc-vcdelay: "), "{stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    let help = Command::new(RELAY).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("usage: rhpcc-vcdelay"));
}
