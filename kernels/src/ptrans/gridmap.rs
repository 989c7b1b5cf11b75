//! PTRANS's random placement of ranks on the grid (`grid_map` in
//! `PTRANS/pdtransdriver.c`).
//!
//! Before each of its five runs of a case, PTRANS sums `time(NULL)` over
//! all ranks (`MPI_Allreduce` of `int`s, so the sum wraps), seeds the
//! `PMATGEN` stream with it and shuffles the ranks: `umap[i] = i`, one
//! discarded draw, then for each `i` in order a swap of `umap[i]` with
//! `umap[(int)(pdrand() * nprocs)]`. Grid position `(row, col)` goes to
//! rank `umap[row * Q + col]` (`Cblacs_gridmap` with `ldumap = Q`); ranks
//! past `P Q` in the shuffle sit the run out. The placement therefore
//! changes from run to run, which is what makes PTRANS sensitive to where
//! ranks sit.

use super::matgen::Rand;

/// The world-rank permutation for a seed (`grid_map(.., seed, umap)`):
/// `umap[k]` is the rank at row-major grid position `k`.
pub fn grid_map(seed: i32, nprocs: usize) -> Vec<usize> {
    // `if (seed < 0) seed = -seed;` then the low 31 bits as the state
    // (`rval = {seed & 65535, (seed >> 16) & 32767}`); -INT_MIN wraps.
    let seed = if seed < 0 { seed.wrapping_neg() } else { seed };
    let mut rng = Rand::new(seed as u32);
    rng.pdrand();
    let mut umap: Vec<usize> = (0..nprocs).collect();
    for i in 0..nprocs {
        let j = (rng.pdrand() * nprocs as f64) as usize;
        umap.swap(i, j);
    }
    umap
}

/// The seed every rank computes: the wrapping `int` sum of the ranks'
/// clocks.
pub fn seed_from_clocks(clocks: &[i32]) -> i32 {
    clocks.iter().fold(0i32, |s, &c| s.wrapping_add(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `grid_map` transcribed with the C limb arithmetic's result, i.e. the
    /// PMATGEN LCG stepped by hand.
    fn c_grid_map(seed: i32, npall: usize) -> Vec<usize> {
        let mut seed = seed;
        if seed < 0 {
            seed = seed.wrapping_neg();
        }
        let rval = [seed & 65535, (seed >> 16) & 32767];
        let mut x = (rval[0] as u64) | ((rval[1] as u64) << 16);
        let mut pdrand = || {
            let v = x as f64 / 2147483648.0;
            x = (x * 1_103_515_245 + 12345) % (1 << 31);
            v
        };
        pdrand();
        let mut umap: Vec<usize> = (0..npall).collect();
        for i in 0..npall {
            let j = (pdrand() * npall as f64) as i32 as usize;
            umap.swap(i, j);
        }
        umap
    }

    #[test]
    fn permutation_as_pdtransdriver() {
        for seed in [0, 1, 12345, 1_795_547_240, -5, i32::MIN, i32::MAX] {
            for n in [1, 2, 3, 4, 7, 16] {
                let u = grid_map(seed, n);
                assert_eq!(u, c_grid_map(seed, n), "seed {seed} n {n}");
                let mut s = u.clone();
                s.sort();
                assert_eq!(s, (0..n).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn placements_vary_with_the_seed() {
        let distinct: std::collections::BTreeSet<Vec<usize>> =
            (0..50).map(|s| grid_map(1_795_547_240 + s, 4)).collect();
        assert!(distinct.len() > 10, "{} placements", distinct.len());
    }

    #[test]
    fn clock_sum_wraps_like_c_int() {
        assert_eq!(
            seed_from_clocks(&[1_795_547_240, 1_795_547_240]),
            -703_872_816
        );
        assert_eq!(seed_from_clocks(&[5]), 5);
    }
}
