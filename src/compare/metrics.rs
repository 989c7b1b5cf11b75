//! The figures `rhpcc compare` reports: which HPCC summary keys, in which
//! unit, and which way is better.
//!
//! The first five follow the paper's Figures 11-15 (PTRANS aggregate
//! bandwidth, STREAM per-node memory bandwidth, node-to-node latency and
//! bandwidth, HPL Gflop/s); the others cover the rest of HPCC's headline
//! figures. A figure groups the variants of one measurement (STREAM's Copy,
//! Scale, Add and Triad) so that they share an axis and a plot.

use crate::micro::{disk, net};

/// One HPCC summary key as the comparison shows it.
#[derive(Debug)]
pub struct MetricDef {
    /// HPCC summary key, e.g. `StarSTREAM_Triad`.
    pub key: &'static str,
    /// Short name within its figure, e.g. `Triad`.
    pub label: &'static str,
    /// Factor from the key's unit to the figure's (HPL_Tflops -> Gflop/s).
    pub scale: f64,
}

/// A group of metrics with one unit and one direction, drawn as one plot.
#[derive(Debug)]
pub struct FigureDef {
    /// File stem of the plot, e.g. `stream-star` for `stream-star.svg`.
    pub id: &'static str,
    pub title: &'static str,
    /// Unit after scaling, e.g. `Gflop/s`.
    pub unit: &'static str,
    pub higher_is_better: bool,
    pub metrics: &'static [MetricDef],
}

impl FigureDef {
    pub fn direction(&self) -> &'static str {
        if self.higher_is_better {
            "higher is better"
        } else {
            "lower is better"
        }
    }
}

const fn m(key: &'static str, label: &'static str) -> MetricDef {
    MetricDef {
        key,
        label,
        scale: 1.0,
    }
}

/// Every figure, in report order.
pub const FIGURES: &[FigureDef] = &[
    FigureDef {
        id: "ptrans",
        title: "PTRANS: aggregate network bandwidth",
        unit: "GB/s",
        higher_is_better: true,
        metrics: &[m("PTRANS_GBs", "PTRANS")],
    },
    FigureDef {
        id: "stream-star",
        title: "StarSTREAM: memory bandwidth per rank, all ranks at once",
        unit: "GB/s",
        higher_is_better: true,
        metrics: &[
            m("StarSTREAM_Copy", "Copy"),
            m("StarSTREAM_Scale", "Scale"),
            m("StarSTREAM_Add", "Add"),
            m("StarSTREAM_Triad", "Triad"),
        ],
    },
    FigureDef {
        id: "stream-single",
        title: "SingleSTREAM: memory bandwidth of one rank alone",
        unit: "GB/s",
        higher_is_better: true,
        metrics: &[
            m("SingleSTREAM_Copy", "Copy"),
            m("SingleSTREAM_Scale", "Scale"),
            m("SingleSTREAM_Add", "Add"),
            m("SingleSTREAM_Triad", "Triad"),
        ],
    },
    FigureDef {
        id: "latency",
        title: "Node-to-node latency",
        unit: "usec",
        higher_is_better: false,
        metrics: &[
            m("MinPingPongLatency_usec", "min ping-pong"),
            m("AvgPingPongLatency_usec", "avg ping-pong"),
            m("NaturallyOrderedRingLatency_usec", "natural ring"),
            m("RandomlyOrderedRingLatency_usec", "random ring"),
        ],
    },
    FigureDef {
        id: "bandwidth",
        title: "Node-to-node bandwidth",
        unit: "GB/s",
        higher_is_better: true,
        metrics: &[
            m("MinPingPongBandwidth_GBytes", "min ping-pong"),
            m("AvgPingPongBandwidth_GBytes", "avg ping-pong"),
            m("NaturallyOrderedRingBandwidth_GBytes", "natural ring"),
            m("RandomlyOrderedRingBandwidth_GBytes", "random ring"),
        ],
    },
    FigureDef {
        id: "hpl",
        title: "HPL (LINPACK): overall performance",
        unit: "Gflop/s",
        higher_is_better: true,
        metrics: &[MetricDef {
            key: "HPL_Tflops",
            label: "HPL",
            scale: 1e3,
        }],
    },
    FigureDef {
        id: "randomaccess",
        title: "MPIRandomAccess: global random updates",
        unit: "GUP/s",
        higher_is_better: true,
        metrics: &[
            m("MPIRandomAccess_GUPs", "MPIRandomAccess"),
            m("MPIRandomAccess_LCG_GUPs", "MPIRandomAccess LCG"),
        ],
    },
    FigureDef {
        id: "dgemm",
        title: "DGEMM: matrix multiply per rank",
        unit: "Gflop/s",
        higher_is_better: true,
        metrics: &[
            m("StarDGEMM_Gflops", "StarDGEMM"),
            m("SingleDGEMM_Gflops", "SingleDGEMM"),
        ],
    },
    FigureDef {
        id: "fft",
        title: "FFT",
        unit: "Gflop/s",
        higher_is_better: true,
        metrics: &[
            m("MPIFFT_Gflops", "MPIFFT"),
            m("StarFFT_Gflops", "StarFFT"),
            m("SingleFFT_Gflops", "SingleFFT"),
        ],
    },
    FigureDef {
        id: "micro-cpu",
        title: "CPU micro-benchmark: time of a fixed CPU-bound task on every core",
        unit: "s",
        higher_is_better: false,
        metrics: &[m(crate::micro::cpu::KEY_SECONDS, "slowest task")],
    },
    FigureDef {
        id: "micro-cpu-rate",
        title: "CPU micro-benchmark: rate per core",
        unit: "M numbers/s",
        higher_is_better: true,
        metrics: &[m(crate::micro::cpu::KEY_RATE_PER_CORE, "per core")],
    },
    // The network micro-benchmark's sending and receiving are separate
    // figures, as the paper's Figures 9 and 10: 1, 2, 4 and 8 concurrent
    // pairs side by side in each.
    FigureDef {
        id: "micro-net-send",
        title: "TCP micro-benchmark: sending throughput, 16 KiB writes, k concurrent pairs",
        unit: "MB/s",
        higher_is_better: true,
        metrics: &[
            m(net::KEY_SEND_MBS[0], "1 pair"),
            m(net::KEY_SEND_MBS[1], "2 pairs"),
            m(net::KEY_SEND_MBS[2], "4 pairs"),
            m(net::KEY_SEND_MBS[3], "8 pairs"),
        ],
    },
    FigureDef {
        id: "micro-net-recv",
        title: "TCP micro-benchmark: receiving throughput, 16 KiB writes, k concurrent pairs",
        unit: "MB/s",
        higher_is_better: true,
        metrics: &[
            m(net::KEY_RECV_MBS[0], "1 pair"),
            m(net::KEY_RECV_MBS[1], "2 pairs"),
            m(net::KEY_RECV_MBS[2], "4 pairs"),
            m(net::KEY_RECV_MBS[3], "8 pairs"),
        ],
    },
    FigureDef {
        id: "micro-net-send-cpu",
        title: "TCP micro-benchmark: CPU time of the sending rank (percent of one core)",
        unit: "% of one core",
        higher_is_better: false,
        metrics: &[
            m(net::KEY_SEND_CPU[0], "1 pair"),
            m(net::KEY_SEND_CPU[1], "2 pairs"),
            m(net::KEY_SEND_CPU[2], "4 pairs"),
            m(net::KEY_SEND_CPU[3], "8 pairs"),
        ],
    },
    FigureDef {
        id: "micro-net-recv-cpu",
        title: "TCP micro-benchmark: CPU time of the receiving rank (percent of one core)",
        unit: "% of one core",
        higher_is_better: false,
        metrics: &[
            m(net::KEY_RECV_CPU[0], "1 pair"),
            m(net::KEY_RECV_CPU[1], "2 pairs"),
            m(net::KEY_RECV_CPU[2], "4 pairs"),
            m(net::KEY_RECV_CPU[3], "8 pairs"),
        ],
    },
    FigureDef {
        id: "micro-disk-buffered",
        title: "Disk write, buffered (write, close; no sync), by block size",
        unit: "MB/s",
        higher_is_better: true,
        metrics: &DISK_BUFFERED,
    },
    FigureDef {
        id: "micro-disk-fsync",
        title: "Disk write with fsync before close, by block size",
        unit: "MB/s",
        higher_is_better: true,
        metrics: &DISK_FSYNC,
    },
    FigureDef {
        id: "micro-disk-direct",
        title: "Disk write with O_DIRECT (and fsync), by block size",
        unit: "MB/s",
        higher_is_better: true,
        metrics: &DISK_DIRECT,
    },
    FigureDef {
        id: "micro-disk-write-ratio",
        title: "Disk write: bytes the device (or the cgroup) wrote per file byte",
        unit: "ratio",
        higher_is_better: false,
        metrics: &[
            m(disk::KEY_BUFFERED_DEVICE_RATIO, "buffered, device"),
            m(disk::KEY_FSYNC_DEVICE_RATIO, "fsync, device"),
            m(disk::KEY_DIRECT_DEVICE_RATIO, "direct, device"),
            m(disk::KEY_BUFFERED_CGROUP_RATIO, "buffered, cgroup"),
            m(disk::KEY_FSYNC_CGROUP_RATIO, "fsync, cgroup"),
            m(disk::KEY_DIRECT_CGROUP_RATIO, "direct, cgroup"),
        ],
    },
];

/// One metric per block size of `rhpcc micro disk`, from a mode's keys.
const fn per_block(keys: &'static [&'static str; 13]) -> [MetricDef; 13] {
    let mut out = [const { m("", "") }; 13];
    let mut i = 0;
    while i < 13 {
        out[i] = m(keys[i], disk::BLOCK_LABELS[i]);
        i += 1;
    }
    out
}

const DISK_BUFFERED: [MetricDef; 13] = per_block(&disk::KEYS_BUFFERED);
const DISK_FSYNC: [MetricDef; 13] = per_block(&disk::KEYS_FSYNC);
const DISK_DIRECT: [MetricDef; 13] = per_block(&disk::KEYS_DIRECT);

/// Every key any figure reads.
pub fn all_keys() -> impl Iterator<Item = &'static str> {
    FIGURES.iter().flat_map(|f| f.metrics.iter().map(|m| m.key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_keys_are_unique() {
        let mut ids: Vec<_> = FIGURES.iter().map(|f| f.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), FIGURES.len());
        let mut keys: Vec<_> = all_keys().collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }

    #[test]
    fn keys_are_hpcc_summary_keys_or_micro_keys() {
        let known = crate::report::hpccoutf::summary_keys();
        for k in all_keys().filter(|k| !k.starts_with("Micro")) {
            assert!(known.contains(&k), "{k} is not an HPCC summary key");
        }
    }
}
