//! Table sizes and how MPIRandomAccess spreads its table over the ranks
//! (HPCC's `core_single_cpu.c` and `HPCC_MPIRandomAccess`).
//!
//! Size: HPCC halves a word count until it drops below one,
//! `for (m = words / 2, log = 0; m >= 1; m /= 2) log++`, so the table has
//! `2^floor(log2(words))` words: the largest power of two not above
//! `words`. Star/SingleRandomAccess use `words = HPLMaxProcMem / 8`,
//! MPIRandomAccess `words = HPLMaxProcMem * ranks / 8`.
//!
//! Distribution over `P` ranks of a table of `T = 2^t` words:
//! - `P` a power of two: rank `r` holds the `T / P` words from `r T / P`;
//!   the owner of global index `g` is `g >> log2(T / P)`.
//! - otherwise: `min = T / P`, `rem = T - min P`; the first `rem` ranks hold
//!   `min + 1` words, the others `min`; below `top = (min + 1) rem` the owner
//!   is `g / (min + 1)`, above it `(g - rem) / min`.

/// `log2` of HPCC's table size for `words` 64-bit words (0 below 2 words),
/// computed as HPCC does, in floating point.
pub fn log_table_size(words: f64) -> u32 {
    let mut m = words * 0.5;
    let mut log = 0;
    while m >= 1.0 {
        m *= 0.5;
        log += 1;
    }
    log
}

/// How a table of `2^log_size` words is spread over `procs` ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Distribution {
    pub log_size: u32,
    pub size: u64,
    pub procs: u64,
    /// `log2(procs)` when `procs` is a power of two.
    pub log_procs: Option<u32>,
    /// `size / procs`, what every rank holds at least.
    pub min_local: u64,
    /// `size mod procs`: how many ranks hold `min_local + 1` words.
    pub remainder: u64,
    /// Global indices below `top` lie in the ranks holding `min_local + 1`.
    pub top: u64,
}

impl Distribution {
    /// # Panics
    /// If `procs` is 0, exceeds the table size, or `log_size >= 64`.
    pub fn new(log_size: u32, procs: u64) -> Self {
        assert!(log_size < 64, "table of 2^{log_size} words");
        let size = 1u64 << log_size;
        assert!(procs >= 1 && procs <= size, "{procs} ranks, {size} words");
        let min_local = size / procs;
        let remainder = size - min_local * procs;
        Distribution {
            log_size,
            size,
            procs,
            log_procs: procs.is_power_of_two().then(|| procs.trailing_zeros()),
            min_local,
            remainder,
            top: (min_local + 1) * remainder,
        }
    }

    pub fn power_of_two(&self) -> bool {
        self.log_procs.is_some()
    }

    /// Words held by `rank`.
    pub fn local_size(&self, rank: u64) -> u64 {
        self.min_local + u64::from(rank < self.remainder)
    }

    /// First global index held by `rank`.
    pub fn start(&self, rank: u64) -> u64 {
        self.min_local * rank + rank.min(self.remainder)
    }

    /// The rank holding global index `g`.
    #[inline(always)]
    pub fn owner(&self, g: u64) -> u64 {
        if g < self.top {
            g / (self.min_local + 1)
        } else {
            (g - self.remainder) / self.min_local
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_reference_outputs() {
        // N=8000 on a 1 x 2 grid: HPLMaxProcMem = 8 * 8000^2 / 2 bytes.
        let mem = 8.0 * 8000.0 * 8000.0 / 2.0;
        assert_eq!(log_table_size(mem / 8.0), 24); // RandomAccess_N = 2^24
        assert_eq!(log_table_size(2.0 * mem / 8.0), 25); // MPIRandomAccess_N
                                                         // N=1000: 8 * 10^6 / 2 bytes per rank.
        assert_eq!(log_table_size(500_000.0), 18);
        assert_eq!(log_table_size(1.0), 0);
        assert_eq!(log_table_size(2.0), 1);
        assert_eq!(log_table_size(1023.9), 9);
        assert_eq!(log_table_size(1024.0), 10);
    }

    #[test]
    fn every_index_has_one_owner_that_holds_it() {
        for procs in 1..=9u64 {
            for log in [4u32, 7, 10] {
                let d = Distribution::new(log, procs);
                assert_eq!(d.power_of_two(), procs.is_power_of_two());
                let total: u64 = (0..procs).map(|r| d.local_size(r)).sum();
                assert_eq!(total, d.size);
                for g in 0..d.size {
                    let r = d.owner(g);
                    assert!(r < procs);
                    assert!(d.start(r) <= g && g < d.start(r) + d.local_size(r));
                    if let Some(lp) = d.log_procs {
                        // HPCC's power-of-two rule gives the same owner.
                        assert_eq!(g >> (log - lp), r);
                    }
                }
            }
        }
    }
}

/// Where a global index lives, as the update loops need it: the owning
/// rank and the offset in the owner's part of the table.
pub trait Layout: Copy {
    /// The rank holding global index `g`.
    fn owner(&self, g: u64) -> usize;
    /// Offset of `g` in this rank's part (meaningful for indices it holds;
    /// others give an out-of-range offset).
    fn local(&self, g: u64) -> usize;
}

/// Power-of-two rank count: shifts and masks (HPCC's `Power2Nodes` code).
#[derive(Clone, Copy, Debug)]
pub struct Pow2Layout {
    shift: u32,
    mask: u64,
}

/// Any rank count: HPCC's `AnyNodes` division rule.
#[derive(Clone, Copy, Debug)]
pub struct AnyLayout {
    dist: Distribution,
    start: u64,
}

impl Pow2Layout {
    /// # Panics
    /// If the rank count is not a power of two.
    pub fn new(d: &Distribution) -> Self {
        let lp = d.log_procs.expect("power-of-two rank count");
        Pow2Layout {
            shift: d.log_size - lp,
            mask: d.min_local - 1,
        }
    }
}

impl AnyLayout {
    pub fn new(d: &Distribution, rank: u64) -> Self {
        AnyLayout {
            dist: *d,
            start: d.start(rank),
        }
    }
}

impl Layout for Pow2Layout {
    #[inline(always)]
    fn owner(&self, g: u64) -> usize {
        (g >> self.shift) as usize
    }

    #[inline(always)]
    fn local(&self, g: u64) -> usize {
        // Own indices only: the offset from the rank's start is the low bits.
        (g & self.mask) as usize
    }
}

impl Layout for AnyLayout {
    #[inline(always)]
    fn owner(&self, g: u64) -> usize {
        self.dist.owner(g) as usize
    }

    #[inline(always)]
    fn local(&self, g: u64) -> usize {
        g.wrapping_sub(self.start) as usize
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    fn agrees<L: Layout>(d: &Distribution, rank: u64, l: L) {
        for g in 0..d.size {
            let owner = d.owner(g);
            assert_eq!(l.owner(g) as u64, owner);
            if owner == rank {
                assert_eq!(l.local(g) as u64, g - d.start(rank));
            }
        }
    }

    #[test]
    fn layouts_agree_with_the_distribution() {
        for procs in 1..=8u64 {
            let d = Distribution::new(9, procs);
            for rank in 0..procs {
                agrees(&d, rank, AnyLayout::new(&d, rank));
                if d.power_of_two() {
                    agrees(&d, rank, Pow2Layout::new(&d));
                }
            }
        }
    }
}
