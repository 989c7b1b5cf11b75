//! Raw frames on one interface: an `AF_PACKET` socket (packet(7)) bound to
//! it for every protocol (`ETH_P_ALL`).
//!
//! The socket carries a `virtio_net_hdr` before each frame
//! (`PACKET_VNET_HDR`), as a hypervisor's tap device does: a TCP segment
//! the kernel has not cut to the MTU yet (GSO, up to 64 KiB on a veth) is
//! received whole with the header describing how to cut it and whose
//! checksum is still to be filled in, and sent on with the same header, so
//! the kernel cuts it or passes it on whole as it would have without the
//! relay. Without the header such a frame could not be sent (larger than
//! the MTU) and checksums left to the hardware would arrive unfilled.

use std::ffi::CString;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// Bytes of `struct virtio_net_hdr` before each frame.
pub const VNET_HDR_LEN: usize = 10;
/// Room for the header and the largest GSO frame a veth makes (its
/// `gso_max_size`, 64 KiB unless raised for BIG TCP, with room to spare).
pub const MAX_FRAME: usize = 256 << 10;
/// Receive buffer asked for, so bursts wait in the kernel while a thread
/// is descheduled.
const RCVBUF: libc::c_int = 8 << 20;
/// A blocked receive wakes this often to see whether the interface is gone.
const POLL: Duration = Duration::from_secs(1);

/// What one receive got.
#[derive(Debug, PartialEq)]
pub enum Received {
    /// Header and frame, this many bytes at the front of the buffer.
    Frame(usize),
    /// A frame this interface sent (seen by every packet socket on it).
    Outgoing,
    /// A frame longer than the buffer (its length), not kept.
    Truncated(usize),
    /// Nothing arrived in a while.
    Idle,
}

/// A packet socket bound to one interface of this network namespace.
pub struct PacketSocket {
    fd: OwnedFd,
    name: String,
    ifindex: libc::c_int,
}

fn check(r: libc::c_int, what: &str, name: &str) -> io::Result<()> {
    if r < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("{what} on {name}: {e}")));
    }
    Ok(())
}

fn ifindex(name: &str) -> libc::c_int {
    let Ok(c) = CString::new(name) else {
        return 0;
    };
    // SAFETY: a NUL-terminated string.
    unsafe { libc::if_nametoindex(c.as_ptr()) as libc::c_int }
}

fn setsockopt<T>(fd: &OwnedFd, level: libc::c_int, opt: libc::c_int, value: &T) -> libc::c_int {
    // SAFETY: `value` points to a live T of the size given.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            opt,
            (value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    }
}

impl PacketSocket {
    /// Opens a socket bound to interface `name`; needs CAP_NET_RAW.
    pub fn open(name: &str) -> io::Result<Self> {
        let index = ifindex(name);
        if index == 0 {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("interface '{name}' not found in this network namespace"),
            ));
        }
        // Protocol 0 until bound: no frames of other interfaces queue up.
        // SAFETY: plain socket(2).
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        check(raw, "socket(AF_PACKET)", name)?;
        // SAFETY: a fresh descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let on: libc::c_int = 1;
        check(
            setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_VNET_HDR, &on),
            "PACKET_VNET_HDR",
            name,
        )?;
        // Older kernels lack it; the receive loop skips outgoing frames
        // anyway.
        let _ = setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_IGNORE_OUTGOING, &on);
        if setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &RCVBUF) < 0 {
            let _ = setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &RCVBUF);
        }
        let poll = libc::timeval {
            tv_sec: POLL.as_secs() as libc::time_t,
            tv_usec: 0,
        };
        check(
            setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &poll),
            "SO_RCVTIMEO",
            name,
        )?;
        // SAFETY: an all-zero sockaddr_ll is valid; the fields follow.
        let mut addr: libc::sockaddr_ll = unsafe { zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = index;
        // SAFETY: `addr` is a sockaddr_ll of the size given.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        check(r, "bind", name)?;
        Ok(PacketSocket {
            fd,
            name: name.to_string(),
            ifindex: index,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the interface this socket was bound to still exists (a new
    /// one of the same name has another index).
    pub fn interface_exists(&self) -> bool {
        ifindex(&self.name) == self.ifindex
    }

    /// Receives the next frame, with its header, into `buf`.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        // SAFETY: zeroed sockaddr_ll is valid for the kernel to fill.
        let mut from: libc::sockaddr_ll = unsafe { zeroed() };
        let mut from_len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `buf` and `from` are writable for the lengths given.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_TRUNC,
                (&mut from as *mut libc::sockaddr_ll).cast(),
                &mut from_len,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EAGAIN) => Ok(Received::Idle),
                _ => Err(e),
            };
        }
        let n = n as usize;
        Ok(if from.sll_pkttype == libc::PACKET_OUTGOING {
            Received::Outgoing
        } else if n > buf.len() {
            Received::Truncated(n)
        } else {
            Received::Frame(n)
        })
    }

    /// Sends a header and frame as `recv` gave them.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        // SAFETY: `frame` is readable for its length.
        let n = unsafe { libc::send(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}
