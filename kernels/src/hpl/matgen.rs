//! HPL 2.x's random matrix generator (`HPL_pdmatgen`), reproduced bit for bit.
//!
//! HPCC 1.5's HPL test (`HPL_pdtest.c`) generates the augmented system
//! `[A | b]` with `HPL_pdmatgen(GRID, N, N+1, NB, A, lda, HPL_ISEED)`: an
//! `N x (N+1)` matrix whose first `N` columns are `A` and whose last column
//! is `b`, with `HPL_ISEED = 100` ([`HPL_SEED`]). It regenerates the same
//! matrix after the solve to compute `||A||_1`, `||A||_oo`, `||b||_oo` and
//! the residual, so a reimplementation that reproduces the generator gets the
//! same norms the reference prints.
//!
//! # The stream
//!
//! HPL keeps a 64-bit state as two 32-bit halves (`int[2]`, low half first)
//! and does its arithmetic in 16-bit limbs (`HPL_lmul`, `HPL_ladd`). That is
//! exactly arithmetic modulo 2^64, so here the state is a `u64` and the step
//! is the linear congruential map
//!
//! ```text
//! x_{k+1} = a * x_k + c   (mod 2^64)
//! a = HPL_MULT1 * 2^32 + HPL_MULT0 = 1481765933 * 2^32 + 1284865837  (HPL_MULT)
//! c = HPL_IADD1 * 2^32 + HPL_IADD0 = 1                              (HPL_IADD)
//! ```
//!
//! with wrapping `u64` multiply and add (the tests check this against a
//! literal transcription of `HPL_lmul`/`HPL_ladd` on random and edge-case
//! operands).
//!
//! # From state to value
//!
//! `HPL_rand` turns a state `x = hi * 2^32 + lo` into
//! `0.5 - ((lo / 2^31 * 0.5 + hi) / 2^31 * 0.5)` in `f64`. The sum
//! `lo / 2^32 + hi` is rounded once (the partial sum with the low 16 bits of
//! `hi` is exact), so the value is exactly `0.5 - (x as f64) * 2^-64`; see
//! [`state_to_f64`]. It is a *decreasing* function of the state and lies in
//! the closed interval `[-0.5, 0.5]`: state 0 gives `0.5`, and states within
//! 2^10 of 2^64 round up to give `-0.5`.
//!
//! # Seed and order
//!
//! The stream starts at `x_0 = seed` (HPL sets `jseed = {ISEED, 0}`), and
//! element number `k` of the stream is `value(x_{k+1})` (HPL first jumps the
//! seed by one step, then `HPL_rand` returns the current state's value and
//! advances). The global `M x N` matrix is laid out in the stream in
//! column-major order: entry `(i, j)` is element `k = i + j * M`. For
//! `[A | b]`, `M = N`, so column `j` consumes stream elements
//! `j*N .. j*N + N` consecutively and `b` is elements `N*N .. N*N + N`.
//!
//! [`Lcg`] models this: `Lcg::new(seed)` is positioned just before element 0,
//! [`Lcg::next_f64`] advances one step and returns the value of the new
//! state, and [`Lcg::jump`] skips `n` elements in `O(log n)` by composing the
//! affine step map with itself by repeated squaring ([`Jump`]).
//!
//! # Distribution
//!
//! The matrix is distributed 2-D block-cyclically in `nb x nb` blocks over a
//! `p x q` process grid, process `(0, 0)` owning the first block, each
//! process storing its part column-major. [`generate_local`] fills one
//! process's part the way `HPL_pdmatgen` does: it jumps once to its first
//! entry and then, per local column, walks its local row blocks with a
//! precomputed jump of `p * nb` elements between them, a jump of `M` elements
//! to the next local column and a jump of `q * nb * M` elements to the next
//! local column block. The cost is `O(local size + local blocks)` plus a few
//! `O(log)` setups. [`numroc`], [`indxg2l`], [`indxg2p`] and [`indxl2g`] are
//! the block-cyclic index maps (HPL's `HPL_numroc`, `HPL_indxg2l`,
//! `HPL_indxg2p` and their inverse) for source process 0.

/// HPL's seed for the test matrix, `HPL_ISEED` in `hpl_ptest.h`.
pub const HPL_SEED: u64 = 100;

/// HPL's LCG multiplier `a = HPL_MULT1 * 2^32 + HPL_MULT0`.
pub const HPL_MULT: u64 = (1_481_765_933 << 32) | 1_284_865_837;

/// HPL's LCG increment `c = HPL_IADD1 * 2^32 + HPL_IADD0`.
pub const HPL_IADD: u64 = 1;

/// An affine map `x -> mult * x + add (mod 2^64)`: `n` steps of HPL's LCG.
///
/// HPL's `HPL_xjumpm` computes the same pair (`IAM`, `ICM`) by `n - 1`
/// sequential multiplications; here it is `O(log n)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Jump {
    /// Multiplier `a^n`.
    pub mult: u64,
    /// Increment `c * (a^{n-1} + ... + a + 1)`.
    pub add: u64,
}

impl Jump {
    /// The identity map (a jump of 0 steps).
    pub const IDENTITY: Jump = Jump { mult: 1, add: 0 };

    /// One step of HPL's LCG.
    pub const STEP: Jump = Jump {
        mult: HPL_MULT,
        add: HPL_IADD,
    };

    /// `n` steps of HPL's LCG, by repeated squaring.
    pub fn by(n: u64) -> Jump {
        Jump::STEP.pow(n)
    }

    /// `self` applied `n` times.
    pub fn pow(self, mut n: u64) -> Jump {
        let mut result = Jump::IDENTITY;
        let mut base = self;
        while n > 0 {
            if n & 1 == 1 {
                result = result.then(base);
            }
            base = base.then(base);
            n >>= 1;
        }
        result
    }

    /// The map "first `self`, then `next`".
    pub fn then(self, next: Jump) -> Jump {
        Jump {
            mult: next.mult.wrapping_mul(self.mult),
            add: next.mult.wrapping_mul(self.add).wrapping_add(next.add),
        }
    }

    /// Applies the map to a state.
    #[inline]
    pub fn apply(self, x: u64) -> u64 {
        self.mult.wrapping_mul(x).wrapping_add(self.add)
    }
}

/// HPL's value for an LCG state, exactly as `HPL_rand` computes it.
///
/// HPL evaluates `0.5 - ((lo/2^31*0.5 + (hi & 0xffff) + (hi >> 16)*2^16)
/// / 2^31 * 0.5)` for `x = hi*2^32 + lo`; only the last addition inside the
/// parentheses rounds, so this equals `0.5 - (x as f64) * 2^-64`. The result
/// is in `[-0.5, 0.5]`.
#[inline]
pub fn state_to_f64(x: u64) -> f64 {
    // 2^-64, exact.
    const TWO_POW_M64: f64 = 1.0 / 18_446_744_073_709_551_616.0;
    0.5 - (x as f64) * TWO_POW_M64
}

/// HPL's random stream: a position in the sequence of matrix entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lcg {
    state: u64,
}

impl Lcg {
    /// The stream for `seed`, positioned just before element 0 (state
    /// `x_0 = seed`).
    pub fn new(seed: u64) -> Lcg {
        Lcg { state: seed }
    }

    /// The current state `x_k` (the next value returned is that of
    /// `x_{k+1}`).
    pub fn state(&self) -> u64 {
        self.state
    }

    /// Skips `n` elements of the stream in `O(log n)`.
    pub fn jump(&mut self, n: u64) {
        self.state = Jump::by(n).apply(self.state);
    }

    /// Advances one step and returns the new state's value ([`state_to_f64`]).
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        self.state = Jump::STEP.apply(self.state);
        state_to_f64(self.state)
    }
}

/// Entry `(i, j)` of the global `m x ncols` matrix HPL generates from `seed`
/// (`ncols` does not matter: the entry is stream element `i + j * m`),
/// computed directly in `O(log)`.
pub fn global_entry(m: usize, i: usize, j: usize, seed: u64) -> f64 {
    assert!(i < m, "row {i} out of range for {m} rows");
    let mut lcg = Lcg::new(seed);
    lcg.jump(i as u64 + j as u64 * m as u64);
    lcg.next_f64()
}

/// Number of rows (or columns) out of `n` that process coordinate `iproc`
/// owns when they are dealt out in blocks of `nb` over `nprocs` processes,
/// starting at process 0 (HPL's `HPL_numroc(N, NB, NB, iproc, 0, nprocs)`,
/// ScaLAPACK's `NUMROC` with source 0).
///
/// For `[A | b]` on a `p x q` grid, process `(myrow, mycol)` stores
/// `numroc(n, nb, myrow, p)` rows and `numroc(n + 1, nb, mycol, q)` columns.
pub fn numroc(n: usize, nb: usize, iproc: usize, nprocs: usize) -> usize {
    assert!(nb > 0 && nprocs > 0 && iproc < nprocs);
    let nblocks = n / nb;
    let mut local = (nblocks / nprocs) * nb;
    let extra = nblocks % nprocs;
    if iproc < extra {
        local += nb;
    } else if iproc == extra {
        local += n % nb;
    }
    local
}

/// Local index of global index `ig` (on the process that owns it), for
/// blocks of `nb` over `nprocs` processes starting at process 0
/// (`HPL_indxg2l` with `INB = NB`, source 0).
pub fn indxg2l(ig: usize, nb: usize, nprocs: usize) -> usize {
    (ig / (nb * nprocs)) * nb + ig % nb
}

/// Process coordinate owning global index `ig`, for blocks of `nb` over
/// `nprocs` processes starting at process 0 (`HPL_indxg2p`, source 0).
pub fn indxg2p(ig: usize, nb: usize, nprocs: usize) -> usize {
    (ig / nb) % nprocs
}

/// Global index of local index `il` on process coordinate `iproc`, for
/// blocks of `nb` over `nprocs` processes starting at process 0 (the
/// inverse of [`indxg2l`]/[`indxg2p`]).
pub fn indxl2g(il: usize, nb: usize, iproc: usize, nprocs: usize) -> usize {
    ((il / nb) * nprocs + iproc) * nb + il % nb
}

/// Fills this process's local part of HPL's `n x (n+1)` matrix `[A | b]`
/// exactly as `HPL_pdmatgen(GRID, n, n+1, nb, a, lda, seed)` does.
///
/// The matrix is distributed 2-D block-cyclically in `nb x nb` blocks over a
/// `p x q` process grid with process `(0, 0)` owning the first block; this is
/// process `(myrow, mycol)`. Local storage is column-major: local entry
/// `(il, jl)` is `a[il + jl * lda]`, for `il < numroc(n, nb, myrow, p)` and
/// `jl < numroc(n + 1, nb, mycol, q)`; its global indices are
/// `indxl2g(il, nb, myrow, p)` and `indxl2g(jl, nb, mycol, q)`. Entries of
/// `a` between the local rows and `lda` are left untouched. `b` (global
/// column `n`) lives in process column `indxg2p(n, nb, q)`.
///
/// Use [`HPL_SEED`] for HPL's matrix.
///
/// # Panics
///
/// If `nb`, `p` or `q` is 0, `myrow >= p`, `mycol >= q`, `lda` is less than
/// the local row count, or `a` is too short for the local columns.
#[allow(clippy::too_many_arguments)]
pub fn generate_local(
    n: usize,
    nb: usize,
    p: usize,
    q: usize,
    myrow: usize,
    mycol: usize,
    seed: u64,
    a: &mut [f64],
    lda: usize,
) {
    assert!(nb > 0, "nb must be positive");
    assert!(
        myrow < p && mycol < q,
        "process ({myrow}, {mycol}) not in a {p} x {q} grid"
    );
    let m = n; // rows of [A | b]
    let ncols = n + 1; // columns of [A | b]
    let mp = numroc(m, nb, myrow, p);
    let nq = numroc(ncols, nb, mycol, q);
    if mp == 0 || nq == 0 {
        return;
    }
    assert!(lda >= mp, "lda = {lda} < local rows {mp}");
    assert!(
        a.len() >= lda * (nq - 1) + mp,
        "local array of {} entries too short for {mp} x {nq} with lda {lda}",
        a.len()
    );

    let (m64, nb64) = (m as u64, nb as u64);
    // Jumps between consecutive local row blocks, local columns and local
    // column blocks (HPL's ia2/ic2, ia3/ic3, ia4/ic4).
    let next_row_block = Jump::by(p as u64 * nb64);
    let next_col = Jump::by(m64);
    let next_col_block = next_col.pow(q as u64 * nb64);
    // State just before global entry (myrow*nb, mycol*nb).
    let start = Jump::by(myrow as u64 * nb64 + mycol as u64 * nb64 * m64).apply(seed);

    let mut col_block_start = start;
    for jl0 in (0..nq).step_by(nb) {
        let mut col_start = col_block_start;
        for jl in jl0..(jl0 + nb).min(nq) {
            let column = &mut a[jl * lda..jl * lda + mp];
            let mut row_block_start = col_start;
            for rows in column.chunks_mut(nb) {
                let mut lcg = Lcg::new(row_block_start);
                for v in rows {
                    *v = lcg.next_f64();
                }
                row_block_start = next_row_block.apply(row_block_start);
            }
            col_start = next_col.apply(col_start);
        }
        col_block_start = next_col_block.apply(col_block_start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ------------------------------------------------------------------
    // Literal transcriptions of HPL's C code, used only as test oracles.
    // ------------------------------------------------------------------

    /// `HPL_lmul`: I = K * J with 16-bit limbs.
    fn c_lmul(k: [i32; 2], j: [i32; 2]) -> [i32; 2] {
        let mut kk = [0u32; 4];
        let mut jj = [0u32; 4];
        let mut res = [0u32; 5];
        for c in 0..2 {
            kk[2 * c] = (k[c] as u32) & 65535;
            kk[2 * c + 1] = ((k[c] as u32) >> 16) & 65535;
            jj[2 * c] = (j[c] as u32) & 65535;
            jj[2 * c + 1] = ((j[c] as u32) >> 16) & 65535;
        }
        res[0] = 0;
        for c in 0..4 {
            res[c + 1] = (res[c] >> 16) & 65535;
            res[c] &= 65535;
            for r in 0..c + 1 {
                res[c] = kk[r] * jj[c - r] + (res[c] & 65535);
                res[c + 1] += (res[c] >> 16) & 65535;
            }
        }
        let mut out = [0i32; 2];
        for c in 0..2 {
            out[c] = (((res[2 * c + 1] & 65535) << 16) | (res[2 * c] & 65535)) as i32;
        }
        out
    }

    /// `HPL_ladd`: I = J + K with 16-bit limbs.
    fn c_ladd(j: [i32; 2], k: [i32; 2]) -> [i32; 2] {
        let (k0, k1) = ((k[0] as u32) & 65535, (k[0] as u32) >> 16);
        let (k2, k3) = ((k[1] as u32) & 65535, (k[1] as u32) >> 16);
        let (j0, j1) = ((j[0] as u32) & 65535, (j[0] as u32) >> 16);
        let (j2, j3) = ((j[1] as u32) & 65535, (j[1] as u32) >> 16);
        let mut i = [0u32; 2];
        let mut itmp0 = k0 + j0;
        let mut itmp1 = itmp0 >> 16;
        i[0] = itmp0 - (itmp1 << 16);
        itmp1 += k1 + j1;
        i[0] |= (itmp1 & 65535) << 16;
        itmp0 = (itmp1 >> 16) + k2 + j2;
        i[1] = itmp0 - ((itmp0 >> 16) << 16);
        itmp1 = (itmp0 >> 16) + k3 + j3;
        i[1] |= (itmp1 & 65535) << 16;
        [i[0] as i32, i[1] as i32]
    }

    /// An HPL 64-bit integer: `{low half, high half}`.
    type CInt64 = [i32; 2];

    /// `HPL_xjumpm`: returns (IRANM, IAM, ICM); IAM/ICM are `None` when
    /// JUMPM is 0 (HPL leaves them unset).
    fn c_xjumpm(
        jumpm: i32,
        mult: [i32; 2],
        iadd: [i32; 2],
        irann: [i32; 2],
    ) -> (CInt64, Option<(CInt64, CInt64)>) {
        if jumpm > 0 {
            let mut iam = mult;
            let mut icm = iadd;
            for _ in 1..jumpm {
                iam = c_lmul(iam, mult);
                let j = c_lmul(icm, mult);
                icm = c_ladd(iadd, j);
            }
            let j = c_lmul(irann, iam);
            (c_ladd(j, icm), Some((iam, icm)))
        } else {
            (irann, None)
        }
    }

    /// `HPL_rand`'s expression on a state, with HPL's operation order.
    fn c_rand_value(j: [i32; 2]) -> f64 {
        const DIVFAC: f64 = 2147483648.0;
        const POW16: f64 = 65536.0;
        const HALF: f64 = 0.5;
        let (j0, j1) = (j[0] as u32, j[1] as u32);
        HALF - ((f64::from(j0 & 65535) + f64::from(j0 >> 16) * POW16) / DIVFAC * HALF
            + f64::from(j1 & 65535)
            + f64::from(j1 >> 16) * POW16)
            / DIVFAC
            * HALF
    }

    /// `HPL_setran`/`HPL_rand` global state.
    struct CRand {
        irand: [i32; 2],
        ias: [i32; 2],
        ics: [i32; 2],
    }

    impl CRand {
        fn rand(&mut self) -> f64 {
            let j = self.irand;
            self.irand = c_ladd(c_lmul(self.irand, self.ias), self.ics);
            c_rand_value(j)
        }
        /// `HPL_jumpit`.
        fn jumpit(&mut self, mult: [i32; 2], iadd: [i32; 2], irann: [i32; 2]) -> [i32; 2] {
            let iranm = c_ladd(c_lmul(irann, mult), iadd);
            self.irand = iranm;
            iranm
        }
    }

    /// `HPL_numrocI(N, 0, INB, NB, PROC, SRCPROC, NPROCS)` with SRCPROC = 0.
    fn c_numroc(n: i32, nb: i32, proc_: i32, nprocs: i32) -> i32 {
        let (i, inb0, srcproc0) = (0, nb, 0);
        if nprocs == 1 {
            return n;
        }
        let mut srcproc = srcproc0;
        let mut inb = inb0 - i;
        if inb <= 0 {
            let nblocks = (-inb) / nb + 1;
            srcproc += nblocks;
            srcproc -= (srcproc / nprocs) * nprocs;
            inb += nblocks * nb;
        }
        if proc_ == srcproc {
            if n <= inb {
                return n;
            }
            let nblocks = (n - inb) / nb + 1;
            if nblocks < nprocs {
                return inb;
            }
            let ilocblk = nblocks / nprocs;
            if nblocks - ilocblk * nprocs != 0 {
                inb + ilocblk * nb
            } else {
                n + (ilocblk - nblocks) * nb
            }
        } else {
            if n <= inb {
                return 0;
            }
            let nblocks = (n - inb) / nb + 1;
            let mut mydist = proc_ - srcproc;
            if mydist < 0 {
                mydist += nprocs;
            }
            if nblocks < nprocs {
                return if mydist < nblocks {
                    nb
                } else if mydist > nblocks {
                    0
                } else {
                    n - inb + nb * (1 - nblocks)
                };
            }
            let ilocblk = nblocks / nprocs;
            mydist -= nblocks - ilocblk * nprocs;
            if mydist < 0 {
                (ilocblk + 1) * nb
            } else if mydist > 0 {
                ilocblk * nb
            } else {
                n - inb + nb * (ilocblk - nblocks + 1)
            }
        }
    }

    /// `HPL_indxg2l` with INB = NB, SRCPROC = 0.
    fn c_indxg2l(ig: i32, nb: i32, nprocs: i32) -> i32 {
        let inb = nb;
        if ig < inb || nprocs == 1 {
            return ig;
        }
        let i = (ig - inb) / nb;
        let j = i / nprocs;
        nb * (j - i)
            + if i + 1 - (j + 1) * nprocs != 0 {
                ig - inb
            } else {
                ig
            }
    }

    /// `HPL_indxg2p` with INB = NB, SRCPROC = 0.
    fn c_indxg2p(ig: i32, nb: i32, nprocs: i32) -> i32 {
        if ig < nb || nprocs == 1 {
            return 0;
        }
        (1 + (ig - nb) / nb).rem_euclid(nprocs)
    }

    /// `HPL_pdmatgen(GRID, M, N, NB, A, LDA, ISEED)`, transcribed literally
    /// (including its O(jump) `HPL_xjumpm`).
    fn c_pdmatgen(
        (nprow, npcol, myrow, mycol): (i32, i32, i32, i32),
        m: i32,
        n: i32,
        nb: i32,
        a: &mut [f64],
        lda: i32,
        iseed: i32,
    ) {
        let mult = [1284865837, 1481765933];
        let iadd = [1, 0];
        let jseed = [iseed, 0];
        let mp = c_numroc(m, nb, myrow, nprow);
        let nq = c_numroc(n, nb, mycol, npcol);
        if mp <= 0 || nq <= 0 {
            return;
        }
        let mblks = (mp + nb - 1) / nb;
        let lmb = mp - ((mp - 1) / nb) * nb;
        let nblks = (nq + nb - 1) / nb;
        let lnb = nq - ((nq - 1) / nb) * nb;
        let (jump1, jump2, jump3, jump4) = (1, nprow * nb, m, npcol * nb);
        let (jump5, jump6, jump7) = (nb, mycol, myrow * nb);
        let (iran1, ia1c1) = c_xjumpm(jump1, mult, iadd, jseed);
        let (ia1, ic1) = ia1c1.unwrap();
        let (_, ia2c2) = c_xjumpm(jump2, mult, iadd, iran1);
        let (ia2, ic2) = ia2c2.unwrap();
        let (_, ia3c3) = c_xjumpm(jump3, mult, iadd, iran1);
        let (ia3, ic3) = ia3c3.unwrap();
        let (_, ia4c4) = c_xjumpm(jump4, ia3, ic3, iran1);
        let (ia4, ic4) = ia4c4.unwrap();
        let (_, ia5c5) = c_xjumpm(jump5, ia3, ic3, iran1);
        let (ia5, ic5) = ia5c5.unwrap();
        let (itmp3, _) = c_xjumpm(jump6, ia5, ic5, iran1);
        let (iran1, _) = c_xjumpm(jump7, mult, iadd, itmp3);
        let mut rng = CRand {
            irand: iran1,
            ias: ia1,
            ics: ic1,
        };
        let (mut ib1, mut ib2, mut ib3) = (iran1, iran1, iran1);
        let mut pos = 0usize;
        for jblk in 0..nblks {
            let jb = if jblk == nblks - 1 { lnb } else { nb };
            for _ in 0..jb {
                for iblk in 0..mblks {
                    let ib = if iblk == mblks - 1 { lmb } else { nb };
                    for _ in 0..ib {
                        a[pos] = rng.rand();
                        pos += 1;
                    }
                    ib1 = rng.jumpit(ia2, ic2, ib1);
                }
                pos += (lda - mp) as usize;
                let iran3 = rng.jumpit(ia3, ic3, ib2);
                ib1 = iran3;
                ib2 = iran3;
            }
            let iran4 = rng.jumpit(ia4, ic4, ib3);
            ib1 = iran4;
            ib2 = iran4;
            ib3 = iran4;
        }
    }

    // ------------------------------------------------------------------
    // Helpers.
    // ------------------------------------------------------------------

    fn halves(x: u64) -> [i32; 2] {
        [x as u32 as i32, (x >> 32) as u32 as i32]
    }

    fn join(h: [i32; 2]) -> u64 {
        u64::from(h[0] as u32) | (u64::from(h[1] as u32) << 32)
    }

    /// Deterministic test operands: a SplitMix64 sequence plus edge cases.
    fn operands(count: usize) -> Vec<u64> {
        let mut v = vec![
            0,
            1,
            2,
            0xffff,
            0x1_0000,
            0xffff_ffff,
            0x1_0000_0000,
            0x7fff_ffff,
            0x8000_0000,
            0x8000_0000_0000_0000,
            0x7fff_ffff_ffff_ffff,
            u64::MAX,
            u64::MAX - 1,
            u64::MAX - 1023,
            u64::MAX - 1024,
            u64::MAX - 1025,
            HPL_MULT,
            HPL_SEED,
            // Round-half-even ties and near-ties when converting to f64.
            (1 << 63) | (1 << 10),
            (1 << 63) | (3 << 10),
            (1 << 63) | (1 << 10) | 1,
            (1 << 62) | (1 << 9),
            (1 << 62) | (3 << 9),
            (1 << 54) | 1,
            (1 << 54) | 3,
            1 << 53,
            (1 << 53) + 1,
        ];
        let mut z = 0x9e37_79b9_7f4a_7c15u64;
        while v.len() < count {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            v.push(x ^ (x >> 31));
        }
        v
    }

    /// C's `%g` (6 significant digits) for the finite positive values the
    /// norms take.
    fn fmt_g6(x: f64) -> String {
        fn trim(s: &str) -> &str {
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.')
            } else {
                s
            }
        }
        let sci = format!("{x:.5e}");
        let (mant, exp) = sci.split_once('e').unwrap();
        let exp: i32 = exp.parse().unwrap();
        if (-4..6).contains(&exp) {
            trim(&format!("{:.*}", (5 - exp) as usize, x)).to_string()
        } else {
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{}e{sign}{:02}", trim(mant), exp.abs())
        }
    }

    /// (||A||_1, ||A||_oo, ||b||_oo) of HPL's `[A | b]` for order `n`,
    /// streaming through the matrix in generation order (O(n) memory).
    fn reference_norms(n: usize, seed: u64) -> (f64, f64, f64) {
        let mut lcg = Lcg::new(seed);
        let mut row_sums = vec![0.0f64; n];
        let mut norm1 = 0.0f64;
        for _ in 0..n {
            let mut col_sum = 0.0;
            for r in row_sums.iter_mut() {
                let v = lcg.next_f64().abs();
                col_sum += v;
                *r += v;
            }
            norm1 = norm1.max(col_sum);
        }
        let normi = row_sums.iter().fold(0.0f64, |m, &s| m.max(s));
        let bnormi = (0..n).fold(0.0f64, |m, _| m.max(lcg.next_f64().abs()));
        (norm1, normi, bnormi)
    }

    fn full_matrix(n: usize, seed: u64) -> Vec<f64> {
        let mut a = vec![f64::NAN; n * (n + 1)];
        generate_local(n, n.max(1), 1, 1, 0, 0, seed, &mut a, n.max(1));
        a
    }

    const GRIDS: [(usize, usize); 6] = [(1, 1), (1, 2), (2, 1), (2, 2), (2, 3), (3, 2)];

    // ------------------------------------------------------------------
    // Tests.
    // ------------------------------------------------------------------

    #[test]
    fn u64_arithmetic_matches_hpl_lmul_ladd() {
        let ops = operands(300);
        for &x in &ops {
            for &y in ops.iter().step_by(7) {
                assert_eq!(
                    join(c_lmul(halves(x), halves(y))),
                    x.wrapping_mul(y),
                    "{x:#x} * {y:#x}"
                );
                assert_eq!(
                    join(c_ladd(halves(x), halves(y))),
                    x.wrapping_add(y),
                    "{x:#x} + {y:#x}"
                );
            }
        }
    }

    #[test]
    fn state_to_f64_matches_hpl_rand_expression() {
        for x in operands(200_000) {
            let ours = state_to_f64(x);
            let hpl = c_rand_value(halves(x));
            assert_eq!(
                ours.to_bits(),
                hpl.to_bits(),
                "state {x:#x}: {ours} vs {hpl}"
            );
            assert!((-0.5..=0.5).contains(&ours));
        }
        assert_eq!(state_to_f64(0), 0.5);
        assert_eq!(state_to_f64(u64::MAX), -0.5);
        assert_eq!(state_to_f64(u64::MAX - 1023), -0.5);
        assert!(state_to_f64(u64::MAX - 1025) > -0.5);
    }

    #[test]
    fn jump_equals_stepping() {
        for &seed in &[HPL_SEED, 0, u64::MAX, 0x1234_5678_9abc_def0] {
            let mut stepped = Lcg::new(seed);
            let mut done = 0u64;
            for &n in &[0u64, 1, 2, 3, 1000, 1024, (1 << 20) + 3] {
                while done < n {
                    stepped.next_f64();
                    done += 1;
                }
                let mut jumped = Lcg::new(seed);
                jumped.jump(n);
                assert_eq!(jumped, stepped, "seed {seed}, n {n}");
                assert_eq!(
                    jumped.next_f64().to_bits(),
                    stepped.clone().next_f64().to_bits()
                );
            }
        }
        // Jumps compose additively.
        let (a, b) = (123_456_789u64, 987_654_321_987u64);
        assert_eq!(Jump::by(a).then(Jump::by(b)), Jump::by(a + b));
        assert_eq!(Jump::by(a).pow(b), Jump::by(a.wrapping_mul(b)));
        assert_eq!(Jump::by(0), Jump::IDENTITY);
        assert_eq!(Jump::by(1), Jump::STEP);
    }

    #[test]
    fn jump_matches_hpl_xjumpm() {
        let mult = halves(HPL_MULT);
        let iadd = halves(HPL_IADD);
        for &n in &[1i32, 2, 3, 80, 160, 1000, 4097] {
            for &x in &[HPL_SEED, 0, u64::MAX, 0xdead_beef_0bad_f00d] {
                let (iranm, amcm) = c_xjumpm(n, mult, iadd, halves(x));
                let (iam, icm) = amcm.unwrap();
                let j = Jump::by(n as u64);
                assert_eq!((join(iam), join(icm)), (j.mult, j.add));
                assert_eq!(join(iranm), j.apply(x));
            }
        }
        // A jump of jumps (HPL's ia4 = ia3^jump4).
        let step_m = c_xjumpm(37, mult, iadd, [0, 0]).1.unwrap();
        let (_, amcm) = c_xjumpm(6, step_m.0, step_m.1, [0, 0]);
        let (iam, icm) = amcm.unwrap();
        assert_eq!((join(iam), join(icm)), {
            let j = Jump::by(37 * 6);
            (j.mult, j.add)
        });
    }

    #[test]
    fn stream_matches_hpl_rand() {
        let mut hpl = CRand {
            irand: c_ladd(c_lmul(halves(HPL_SEED), halves(HPL_MULT)), halves(HPL_IADD)),
            ias: halves(HPL_MULT),
            ics: halves(HPL_IADD),
        };
        let mut ours = Lcg::new(HPL_SEED);
        for k in 0..100_000 {
            assert_eq!(
                ours.next_f64().to_bits(),
                hpl.rand().to_bits(),
                "element {k}"
            );
        }
    }

    #[test]
    fn hpl_reference_norms_n1000() {
        // hpcc 1.5, N=1000, NB=80, 1 x 2 grid.
        let n = 1000;
        let a = full_matrix(n, HPL_SEED);
        let norm1 = (0..n)
            .map(|j| a[j * n..(j + 1) * n].iter().map(|v| v.abs()).sum::<f64>())
            .fold(0.0f64, f64::max);
        let normi = (0..n)
            .map(|i| (0..n).map(|j| a[i + j * n].abs()).sum::<f64>())
            .fold(0.0f64, f64::max);
        let bnormi = a[n * n..].iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert_eq!(fmt_g6(norm1), "263.865");
        assert_eq!(fmt_g6(normi), "262.773");
        assert_eq!(fmt_g6(bnormi), "0.499776");
        let (s1, si, sb) = reference_norms(n, HPL_SEED);
        assert_eq!(
            (fmt_g6(s1), fmt_g6(si), fmt_g6(sb)),
            (fmt_g6(norm1), fmt_g6(normi), fmt_g6(bnormi))
        );
    }

    #[test]
    fn hpl_reference_norms_other_sizes() {
        // Values printed by hpcc 1.5 (`HPL_Anorm1`, `HPL_AnormI`,
        // `HPL_BnormI`) on a 1 x 2 grid, 2 MPI processes.
        let cases: [(usize, &str, &str, &str); 4] = [
            (50, "14.6555", "14.5563", "0.476133"),  // NB = 7
            (777, "207.7", "209.374", "0.499406"),   // NB = 50
            (2000, "523.014", "522.676", "0.49996"), // NB = 1
            (8000, "2054.51", "2050.29", "0.4998"),  // NB = 192
        ];
        for (n, a1, ai, bi) in cases {
            let (norm1, normi, bnormi) = reference_norms(n, HPL_SEED);
            assert_eq!(
                (
                    fmt_g6(norm1).as_str(),
                    fmt_g6(normi).as_str(),
                    fmt_g6(bnormi).as_str()
                ),
                (a1, ai, bi),
                "N = {n}"
            );
        }
    }

    #[test]
    fn fmt_g6_is_c_percent_g() {
        assert_eq!(fmt_g6(263.865_000_1), "263.865");
        assert_eq!(fmt_g6(207.700_01), "207.7");
        assert_eq!(fmt_g6(0.499_775_9), "0.499776");
        assert_eq!(fmt_g6(0.4998), "0.4998");
        assert_eq!(fmt_g6(1e-5), "1e-05");
        assert_eq!(fmt_g6(1234567.0), "1.23457e+06");
    }

    #[test]
    fn numroc_and_index_maps() {
        for nprocs in 1..=5usize {
            for nb in 1..=9usize {
                for n in 0..=60usize {
                    let counts: Vec<usize> =
                        (0..nprocs).map(|p| numroc(n, nb, p, nprocs)).collect();
                    assert_eq!(
                        counts.iter().sum::<usize>(),
                        n,
                        "n {n} nb {nb} nprocs {nprocs}"
                    );
                    for (p, &c) in counts.iter().enumerate() {
                        assert_eq!(
                            c as i32,
                            c_numroc(n as i32, nb as i32, p as i32, nprocs as i32)
                        );
                    }
                    let mut seen = vec![0usize; nprocs];
                    for ig in 0..n {
                        let p = indxg2p(ig, nb, nprocs);
                        let il = indxg2l(ig, nb, nprocs);
                        assert_eq!(p as i32, c_indxg2p(ig as i32, nb as i32, nprocs as i32));
                        assert_eq!(il as i32, c_indxg2l(ig as i32, nb as i32, nprocs as i32));
                        // Local indices on each process are dense and in order.
                        assert_eq!(il, seen[p]);
                        seen[p] += 1;
                        assert_eq!(indxl2g(il, nb, p, nprocs), ig);
                    }
                    assert_eq!(seen, counts);
                }
            }
        }
    }

    #[test]
    fn whole_matrix_is_the_stream_in_column_major_order() {
        let n = 37;
        let a = full_matrix(n, HPL_SEED);
        let mut lcg = Lcg::new(HPL_SEED);
        for (k, v) in a.iter().enumerate() {
            assert_eq!(v.to_bits(), lcg.next_f64().to_bits(), "element {k}");
        }
        for &(i, j) in &[(0, 0), (5, 0), (0, 3), (36, 37), (17, 22)] {
            assert_eq!(
                global_entry(n, i, j, HPL_SEED).to_bits(),
                a[i + j * n].to_bits()
            );
        }
    }

    #[test]
    fn distributed_parts_match_whole_matrix() {
        let sizes: [(usize, usize); 9] = [
            (1, 1),
            (1, 4),
            (7, 3),
            (10, 5),
            (13, 1),
            (20, 64),
            (41, 6),
            (64, 8),
            (97, 10),
        ];
        for &(n, nb) in &sizes {
            let full = full_matrix(n, HPL_SEED);
            for &(p, q) in &GRIDS {
                let mut rows_total = 0;
                let mut cols_total = 0;
                for myrow in 0..p {
                    for mycol in 0..q {
                        let mp = numroc(n, nb, myrow, p);
                        let nq = numroc(n + 1, nb, mycol, q);
                        if mycol == 0 {
                            rows_total += mp;
                        }
                        if myrow == 0 {
                            cols_total += nq;
                        }
                        let lda = mp.max(1) + 3; // padding must stay untouched
                        let mut a = vec![f64::NAN; lda * nq.max(1)];
                        generate_local(n, nb, p, q, myrow, mycol, HPL_SEED, &mut a, lda);
                        for jl in 0..nq {
                            let j = indxl2g(jl, nb, mycol, q);
                            for il in 0..mp {
                                let i = indxl2g(il, nb, myrow, p);
                                assert_eq!(
                                    a[il + jl * lda].to_bits(),
                                    full[i + j * n].to_bits(),
                                    "n {n} nb {nb} grid {p}x{q} proc ({myrow},{mycol}) local ({il},{jl})"
                                );
                            }
                            assert!(a[jl * lda + mp..(jl + 1) * lda].iter().all(|v| v.is_nan()));
                        }
                        // Bit-identical to the literal HPL_pdmatgen transcription.
                        let mut c = vec![f64::NAN; lda * nq.max(1)];
                        let grid = (p as i32, q as i32, myrow as i32, mycol as i32);
                        c_pdmatgen(
                            grid,
                            n as i32,
                            n as i32 + 1,
                            nb as i32,
                            &mut c,
                            lda as i32,
                            HPL_SEED as i32,
                        );
                        let same = a.iter().zip(&c).all(|(x, y)| x.to_bits() == y.to_bits());
                        assert!(
                            same,
                            "n {n} nb {nb} grid {p}x{q} proc ({myrow},{mycol}) vs HPL_pdmatgen"
                        );
                    }
                }
                assert_eq!(rows_total, n);
                assert_eq!(cols_total, n + 1);
            }
        }
    }

    #[test]
    fn empty_local_parts_are_fine() {
        // nb > n + 1: only process (0, 0) owns anything; the others return
        // without touching (or needing) any storage. n = 0 owns nothing.
        let mut a: Vec<f64> = Vec::new();
        generate_local(3, 8, 2, 2, 1, 1, HPL_SEED, &mut a, 1);
        generate_local(0, 8, 1, 1, 0, 0, HPL_SEED, &mut a, 1);
    }
}
