//! The CPU each rank runs on and the instruction-set level its kernels use
//! (`--isa`, `RHPCC_ISA`), chosen on every rank at start-up and gathered,
//! so that a level some rank lacks stops the whole job before any test, and
//! the results document says which code produced its figures.

use mpi::traits::*;
use serde_json::{json, Value};

use rhpcc_kernels::isa::{self, CpuFlags, Isa};

use crate::config::IsaChoice;
use crate::world::World;

/// One rank's CPU as gathered at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RankCpu {
    /// The level its kernels run; `None` when it lacks the level asked for.
    pub isa: Option<Isa>,
    /// The best level it has.
    pub best: Isa,
    pub flags: CpuFlags,
}

impl RankCpu {
    /// This rank: apply `choice` and describe the CPU.
    fn here(choice: IsaChoice) -> RankCpu {
        let isa = match choice.level() {
            None => Some(isa::active().isa()),
            Some(level) => isa::set_active(level).ok().map(|s| s.isa()),
        };
        RankCpu {
            isa,
            best: Isa::best(),
            flags: CpuFlags::detect(),
        }
    }

    fn encode(self) -> [u8; 3] {
        let f = self.flags;
        let bits = [f.avx, f.avx2, f.fma, f.avx512f, f.hypervisor]
            .iter()
            .enumerate()
            .fold(0u8, |acc, (i, b)| acc | (u8::from(*b) << i));
        [self.isa.map_or(u8::MAX, index), index(self.best), bits]
    }

    fn decode(b: [u8; 3]) -> RankCpu {
        let bit = |i: u8| b[2] & (1 << i) != 0;
        RankCpu {
            isa: Isa::ALL.get(b[0] as usize).copied(),
            best: Isa::ALL[b[1] as usize],
            flags: CpuFlags {
                avx: bit(0),
                avx2: bit(1),
                fma: bit(2),
                avx512f: bit(3),
                hypervisor: bit(4),
            },
        }
    }
}

fn index(isa: Isa) -> u8 {
    Isa::ALL.iter().position(|i| *i == isa).expect("listed") as u8
}

/// Every rank's CPU and level.
#[derive(Clone, Debug, PartialEq)]
pub struct JobCpu {
    pub requested: IsaChoice,
    /// Indexed by world rank.
    pub ranks: Vec<RankCpu>,
}

/// Apply `choice` on every rank and gather the outcome (collective). A
/// level that some rank's CPU lacks is an error naming the ranks, their
/// hosts and what they have, returned on every rank.
pub fn choose(world: &World, choice: IsaChoice) -> Result<JobCpu, String> {
    let mine = RankCpu::here(choice).encode();
    let mut all = vec![0u8; 3 * world.size];
    world.comm.all_gather_into(&mine[..], &mut all[..]);
    let ranks: Vec<RankCpu> = all
        .chunks_exact(3)
        .map(|c| RankCpu::decode([c[0], c[1], c[2]]))
        .collect();
    let lacking: Vec<String> = ranks
        .iter()
        .enumerate()
        .filter(|(_, r)| r.isa.is_none())
        .map(|(k, r)| format!("rank {k} on {} has up to {}", world.rank_hosts[k], r.best))
        .collect();
    if !lacking.is_empty() {
        return Err(format!(
            "--isa {} (or RHPCC_ISA): not every CPU of the job runs it: {}",
            choice.name(),
            lacking.join("; ")
        ));
    }
    Ok(JobCpu {
        requested: choice,
        ranks,
    })
}

/// The kernels' level of every rank, one name when they all agree.
fn levels(ranks: &[RankCpu]) -> Value {
    let names: Vec<&str> = ranks
        .iter()
        .map(|r| r.isa.map_or("none", Isa::name))
        .collect();
    match names.split_first() {
        Some((first, rest)) if rest.iter().all(|n| n == first) => json!(first),
        _ => json!(names),
    }
}

/// The `environment.cpu` object of a results document: this rank's CPU
/// flags, the levels chosen (every rank's when `job` is known) and the code
/// path of each kernel on this rank.
pub fn environment(job: Option<&JobCpu>) -> Value {
    let f = CpuFlags::detect();
    let active = isa::active().isa();
    let mut v = json!({
        "flags": { "avx": f.avx, "avx2": f.avx2, "fma": f.fma, "avx512f": f.avx512f },
        "hypervisor": f.hypervisor,
        "best_isa": Isa::best().name(),
        "isa": active.name(),
        "kernels": kernel_paths(),
    });
    if let Some(job) = job {
        v["isa_requested"] = json!(job.requested.name());
        v["isa"] = levels(&job.ranks);
        let hyper: Vec<bool> = job.ranks.iter().map(|r| r.flags.hypervisor).collect();
        if hyper.iter().any(|h| *h != f.hypervisor) {
            v["hypervisor"] = json!(hyper);
        }
    }
    v
}

/// The code each kernel runs on this rank.
pub fn kernel_paths() -> Value {
    let active = isa::active();
    json!({
        "stream": active.isa().name(),
        "ptrans_tiles": active.isa().name(),
        "fft": format!("rustfft {}", rhpcc_kernels::fft::Planner::new(active).code()),
        "fma_peak": crate::peak::probe_level().isa().name(),
        "gemm": format!("faer {}", isa::gemm_isa()),
        "randomaccess": "portable (scalar updates)",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_records_round_trip() {
        for isa in [
            None,
            Some(Isa::Portable),
            Some(Isa::Avx2),
            Some(Isa::Avx512),
        ] {
            for bits in [0u8, 0b10101, 0b11111, 0b00110] {
                let r = RankCpu::decode([isa.map_or(u8::MAX, index), 1, bits]);
                assert_eq!(r.isa, isa);
                assert_eq!(RankCpu::decode(r.encode()), r);
            }
        }
    }

    #[test]
    fn levels_name_one_level_or_list_them() {
        let r = |isa| RankCpu {
            isa: Some(isa),
            best: Isa::Avx512,
            flags: CpuFlags::default(),
        };
        assert_eq!(levels(&[r(Isa::Avx2), r(Isa::Avx2)]), json!("avx2"));
        assert_eq!(
            levels(&[r(Isa::Avx2), r(Isa::Portable)]),
            json!(["avx2", "portable"])
        );
    }
}
