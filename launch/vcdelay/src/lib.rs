//! `rhpcc-vcdelay`: a userspace frame relay that adds delay and loss
//! between two network interfaces, for `launch/vcluster.sh` on kernels
//! without `sch_netem` (see `launch/README.md`).
//!
//! In the virtual cluster a virtual host's veth end `vhI` is not a bridge
//! port; the relay, in the cluster's hypervisor namespace, forwards every
//! frame arriving on `vhI` (what the virtual host sends) to `vhIr`, whose
//! veth peer is the bridge port, after the delay D and losing each with
//! probability L, and every frame arriving on `vhIr` (what the bridge sends
//! the host) to `vhI` at once: netem's delay and loss on the host's egress,
//! a message between two virtual hosts delayed D once.
//!
//! Rules followed:
//! - a frame is due D after it was received (its time taken when
//!   `recvfrom` returns), so frames keep their order; the sender sleeps
//!   until the oldest is due (timer slack 1 ns) and sends it; with D = 0
//!   frames are sent as they come;
//! - each frame is lost independently with probability L (xorshift64*,
//!   seeded from `getrandom`), before queueing;
//! - at most `--limit` bytes (64 MiB) wait; frames beyond are dropped and
//!   counted;
//! - frames travel with their `virtio_net_hdr` (`PACKET_VNET_HDR`), so GSO
//!   frames larger than the MTU and checksums left to offload pass as they
//!   would through the veth alone;
//! - frames the interface itself sent (`PACKET_OUTGOING`) are not relayed;
//! - it ends on SIGTERM, SIGINT or SIGHUP, or when either interface
//!   disappears (exit status 0), or when receiving fails otherwise (1),
//!   printing what each direction forwarded, lost and dropped.
//!
//! What it costs: it is a userspace hop, so every frame is copied out of
//! and into the kernel and waits for a thread to be scheduled. That adds
//! latency and CPU time of its own, on the machine's CPUs (not the virtual
//! hosts'), which `launch/README.md` quantifies.

pub mod line;
pub mod packet;
pub mod relay;
pub mod spec;
