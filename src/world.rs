//! The MPI job as rhpcc sees it: the world communicator, this rank, and the
//! hosts the ranks run on (gathered once at start-up).

use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::*;

use rhpcc_kernels::crand::{CRand, RAND_MAX};

use crate::config::{HostShape, JobShape};

/// Bytes reserved per rank for its host name in the start-up gather.
const NAME_BYTES: usize = 256;

pub struct World {
    /// Keeps MPI initialized; finalizes on drop.
    _universe: Universe,
    pub comm: SimpleCommunicator,
    pub rank: usize,
    pub size: usize,
    /// Host name of every rank, indexed by rank.
    pub rank_hosts: Vec<String>,
    pub shape: JobShape,
}

impl World {
    /// Initialize MPI (a singleton when not started by `mpirun`) and gather
    /// each rank's host name and available memory.
    pub fn init() -> anyhow::Result<World> {
        let universe =
            mpi::initialize().ok_or_else(|| anyhow::anyhow!("MPI was already initialized"))?;
        let comm = universe.world();
        let rank = comm.rank() as usize;
        let size = comm.size() as usize;

        let mut name = [0u8; NAME_BYTES];
        let host = mpi::environment::processor_name().unwrap_or_else(|_| "unknown".into());
        let n = host.len().min(NAME_BYTES);
        name[..n].copy_from_slice(&host.as_bytes()[..n]);
        let mut names = vec![0u8; NAME_BYTES * size];
        comm.all_gather_into(&name[..], &mut names[..]);
        let rank_hosts: Vec<String> = names
            .chunks(NAME_BYTES)
            .map(|c| {
                let end = c.iter().position(|&b| b == 0).unwrap_or(c.len());
                String::from_utf8_lossy(&c[..end]).into_owned()
            })
            .collect();

        let mem = mem_available();
        let mut mems = vec![0u64; size];
        comm.all_gather_into(&mem, &mut mems[..]);

        let mut hosts: Vec<HostShape> = Vec::new();
        for (r, h) in rank_hosts.iter().enumerate() {
            match hosts.iter_mut().find(|x| &x.name == h) {
                Some(x) => x.ranks += 1,
                None => hosts.push(HostShape {
                    name: h.clone(),
                    ranks: 1,
                    mem_available: mems[r],
                }),
            }
        }

        Ok(World {
            _universe: universe,
            comm,
            rank,
            size,
            rank_hosts,
            shape: JobShape { size, hosts },
        })
    }

    pub fn is_root(&self) -> bool {
        self.rank == 0
    }

    /// Make rank 0's outcome everyone's: an error on rank 0 becomes an error
    /// on every rank, so no rank is left waiting in the next collective.
    /// Rank 0 prints its error here, before any rank can exit: once one rank
    /// exits non-zero, mpirun kills the others, so a message printed after
    /// `MPI_Finalize` may never appear. Every rank then returns
    /// [`SilentFailure`].
    pub fn agree(&self, outcome: anyhow::Result<()>) -> anyhow::Result<()> {
        let mut failed = u8::from(outcome.is_err());
        self.comm.process_at_rank(0).broadcast_into(&mut failed);
        if let Err(e) = outcome {
            eprintln!("rhpcc: error: {e:#}");
        }
        if failed == 1 {
            return Err(anyhow::anyhow!(SilentFailure));
        }
        Ok(())
    }

    /// Broadcast bytes from rank 0 to every rank (length first).
    pub fn broadcast_bytes(&self, data: Option<Vec<u8>>) -> Vec<u8> {
        let root = self.comm.process_at_rank(0);
        let mut len = data.as_ref().map_or(0u64, |d| d.len() as u64);
        root.broadcast_into(&mut len);
        let mut buf = data.unwrap_or_else(|| vec![0u8; len as usize]);
        if len > 0 {
            root.broadcast_into(&mut buf[..]);
        }
        buf
    }

    /// HPCC's choice of the rank that runs a Single test: rank 0 seeds the C
    /// library's `rand()` with the time and draws `(int)(size / RAND_MAX *
    /// rand())` until it gets a rank other than 0 (0 only when alone); every
    /// rank receives the choice.
    pub fn pick_single_rank(&self) -> usize {
        let mut chosen = 0u32;
        if self.is_root() {
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs() as u32);
            chosen = single_rank(self.size, &mut CRand::new(seed)) as u32;
        }
        self.comm.process_at_rank(0).broadcast_into(&mut chosen);
        chosen as usize
    }

    /// Wall-clock time in seconds (`MPI_Wtime`).
    pub fn time(&self) -> f64 {
        mpi::time()
    }

    /// Resolution of [`World::time`] in seconds (`MPI_Wtick`).
    pub fn tick(&self) -> f64 {
        mpi::time_resolution()
    }
}

/// The error every rank returns when rank 0 failed and has reported it.
#[derive(Debug)]
pub struct SilentFailure;

impl std::fmt::Display for SilentFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("rank 0 failed")
    }
}

impl std::error::Error for SilentFailure {}

/// HPCC's rule for the Single tests' rank (`HPCC_SingleStream` and its
/// siblings), given the generator.
pub fn single_rank(size: usize, rng: &mut CRand) -> usize {
    if size <= 1 {
        return 0;
    }
    let scl = size as f64 / f64::from(RAND_MAX);
    loop {
        let rank = (scl * f64::from(rng.next_rand())) as usize;
        if rank > 0 && rank < size {
            return rank;
        }
    }
}

/// `MemAvailable` of this host in bytes, 0 if it cannot be read.
fn mem_available() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_rank_is_never_zero_unless_alone() {
        assert_eq!(single_rank(1, &mut CRand::new(7)), 0);
        for size in 2..12 {
            for seed in 0..50 {
                let r = single_rank(size, &mut CRand::new(seed));
                assert!(r >= 1 && r < size, "size {size} seed {seed}: {r}");
            }
        }
    }
}
