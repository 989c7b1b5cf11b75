//! PTRANS's random matrix generator (`PTRANS/pdmatgen.c`, ScaLAPACK's
//! `PDMATGEN` with the `PMATGEN` random stream of `pmatgeninc.c`),
//! reproduced bit for bit for its non-symmetric forms.
//!
//! # The stream
//!
//! `pmatgeninc.c` keeps a 31-bit state as two `int` halves (16 low bits,
//! 15 high bits) and multiplies and adds them limb by limb (`PTRANS_lmul`,
//! `PTRANS_ladd`). That is exactly arithmetic modulo 2^31, so here the
//! state is a `u32` below 2^31 and the step is
//!
//! ```text
//! x_{k+1} = a * x_k + c   (mod 2^31),   a = 16838 * 2^16 + 20077 = 1103515245,   c = 12345
//! ```
//!
//! `pdrand()` returns `x_k / 2^31` (exact in `f64`) and then steps. The
//! stream of a matrix starts at `x_0 = seed` (`jseed = {ISEED, 0}`), and its
//! element number `k` is drawn from `x_{k+1}` (pdmatgen first jumps the seed
//! by one step). [`Jump`] composes the affine step with itself by repeated
//! squaring, where `xjumpm_` multiplies `n - 1` times.
//!
//! # Forms and values
//!
//! For an `m x n` matrix in `mb x nb` blocks, entry `(i, j)` is stream
//! element `i + j m` for the plain form `"N"` and `i n + j` for the
//! transposed form `"T"` (pdmatgen's "transpose of what would normally be
//! generated" of the `n x m` matrix). The entry becomes
//! `alpha * old + 1 - 2 x / 2^31` (pdmatgen's `alpha * A + 1. - pdrand() *
//! 2.`, evaluated in that order), a value in `(-1, 1]`; `alpha = 0`
//! overwrites, `alpha = 1` accumulates.
//!
//! PTRANS generates `A = rand(m, n, 100)` in form `"N"` and `C = rand(n, m,
//! 200)` in form `"T"`; after `C <- A^T + C` it regenerates the expected
//! matrix in place: `rand(n, m, 200)` in form `"T"`, then
//! `rand(m, n, 100)` in form `"T"` with `alpha = 1`. That works because
//! PTRANS always has `m = n` and `mb = nb` (both come from the same input
//! list), so form `"T"` of the `m x n` matrix is `A^T`.
//!
//! The distribution is 2-D block-cyclic over a `p x q` grid with process
//! `(0, 0)` owning the first block (PTRANS's `IMROW = IMCOL = 0`), each
//! process storing its part column-major.

use crate::hpl::matgen::numroc;

/// PTRANS's seed for `A` (`iaseed` in `pdtransdriver.c`).
pub const SEED_A: u32 = 100;
/// PTRANS's seed for `C` (`icseed`).
pub const SEED_C: u32 = 200;

/// The multiplier `a`: `mult = {20077, 16838}` as 16 + 15 bit limbs.
pub const MULT: u32 = (16838 << 16) | 20077;
/// The increment `c`: `iadd = {12345, 0}`.
pub const IADD: u32 = 12345;

const MASK: u64 = (1 << 31) - 1;

/// An affine map `x -> mult * x + add (mod 2^31)`: `n` steps of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Jump {
    pub mult: u32,
    pub add: u32,
}

impl Jump {
    /// No step.
    pub const IDENTITY: Jump = Jump { mult: 1, add: 0 };
    /// One step.
    pub const STEP: Jump = Jump {
        mult: MULT,
        add: IADD,
    };

    /// `n` steps.
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

    /// First `self`, then `next`.
    pub fn then(self, next: Jump) -> Jump {
        Jump {
            mult: mul(next.mult, self.mult),
            add: ((u64::from(mul(next.mult, self.add)) + u64::from(next.add)) & MASK) as u32,
        }
    }

    /// Applies the map to a state.
    #[inline]
    pub fn apply(self, x: u32) -> u32 {
        ((u64::from(self.mult) * u64::from(x) + u64::from(self.add)) & MASK) as u32
    }
}

#[inline]
fn mul(a: u32, b: u32) -> u32 {
    ((u64::from(a) * u64::from(b)) & MASK) as u32
}

/// `pdrand()`'s value of a state: `x / 2^31`, in `[0, 1)`.
#[inline]
pub fn state_to_unit(x: u32) -> f64 {
    f64::from(x) / 2_147_483_648.0
}

/// The stream as `pdrand()` sees it: [`Rand::pdrand`] returns the current
/// state's value and steps. `grid_map` in `pdtransdriver.c` uses it
/// directly (`setran_` with the `PMATGEN` constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rand {
    state: u32,
}

impl Rand {
    /// `setran_` with state `x` (reduced modulo 2^31).
    pub fn new(x: u32) -> Rand {
        Rand {
            state: x & MASK as u32,
        }
    }

    /// `pdrand()`.
    #[inline]
    pub fn pdrand(&mut self) -> f64 {
        let v = state_to_unit(self.state);
        self.state = Jump::STEP.apply(self.state);
        v
    }
}

/// Which entries pdmatgen draws in stream order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `"N"`: entry `(i, j)` is stream element `i + j m` (column-major).
    Plain,
    /// `"T"`: entry `(i, j)` is stream element `i n + j` (row-major).
    Transposed,
}

/// The shape of a block-cyclically distributed matrix and this process's
/// place in the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Distribution {
    /// Global rows and columns.
    pub m: usize,
    pub n: usize,
    /// Row and column block sizes.
    pub mb: usize,
    pub nb: usize,
    /// Grid shape.
    pub p: usize,
    pub q: usize,
    /// This process's grid coordinates.
    pub myrow: usize,
    pub mycol: usize,
}

impl Distribution {
    /// Local rows (`numroc(m, mb, myrow, 0, p)`).
    pub fn local_rows(&self) -> usize {
        numroc(self.m, self.mb, self.myrow, self.p)
    }

    /// Local columns (`numroc(n, nb, mycol, 0, q)`).
    pub fn local_cols(&self) -> usize {
        numroc(self.n, self.nb, self.mycol, self.q)
    }
}

/// One entry value: `alpha * old + 1 - 2 x / 2^31`, in pdmatgen's order.
#[inline]
fn entry(alpha: f64, old: f64, x: u32) -> f64 {
    alpha * old + 1.0 - state_to_unit(x) * 2.0
}

/// Fills (`alpha = 0`) or updates (`alpha = 1`) this process's local part
/// of the matrix `d` in form `form` from `seed`, as `pdmatgen(ictxt, form,
/// "N", m, n, mb, nb, a, lda, 0, 0, seed, 0, mp, 0, nq, myrow, mycol, p, q,
/// alpha)` does. Local entry `(il, jl)` is `a[il + jl * lda]`; rows between
/// the local row count and `lda` are untouched.
///
/// # Panics
///
/// If a block size or grid dimension is 0, the process is outside the grid,
/// `lda` is below the local row count, or `a` is too short.
pub fn generate(d: &Distribution, form: Form, seed: u32, alpha: f64, a: &mut [f64], lda: usize) {
    assert!(d.mb > 0 && d.nb > 0, "block sizes must be positive");
    assert!(
        d.myrow < d.p && d.mycol < d.q,
        "process ({}, {}) not in a {} x {} grid",
        d.myrow,
        d.mycol,
        d.p,
        d.q
    );
    let (mp, nq) = (d.local_rows(), d.local_cols());
    if mp == 0 || nq == 0 {
        return;
    }
    assert!(lda >= mp, "lda = {lda} < local rows {mp}");
    assert!(
        a.len() >= lda * (nq - 1) + mp,
        "local array of {} entries too short for {mp} x {nq} with lda {lda}",
        a.len()
    );
    // Stream distance between vertically and horizontally adjacent entries.
    let (down, right) = match form {
        Form::Plain => (1u64, d.m as u64),
        Form::Transposed => (d.n as u64, 1u64),
    };
    let (mb, nb) = (d.mb as u64, d.nb as u64);
    let next_row = Jump::by(down);
    let next_row_block = Jump::by(d.p as u64 * mb * down);
    let next_col = Jump::by(right);
    let next_col_block = Jump::by(d.q as u64 * nb * right);
    // State just before global entry (myrow mb, mycol nb).
    let start = Jump::by(1 + d.myrow as u64 * mb * down + d.mycol as u64 * nb * right).apply(seed);

    let mut col_block_start = start;
    for jl0 in (0..nq).step_by(d.nb) {
        let mut col_start = col_block_start;
        for jl in jl0..(jl0 + d.nb).min(nq) {
            let column = &mut a[jl * lda..jl * lda + mp];
            let mut row_block_start = col_start;
            for rows in column.chunks_mut(d.mb) {
                let mut x = row_block_start;
                for v in rows {
                    *v = entry(alpha, *v, x);
                    x = next_row.apply(x);
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
    // Literal transcriptions of pmatgeninc.c and pdmatgen.c, test oracles.
    // ------------------------------------------------------------------

    /// `PTRANS_ladd`.
    fn c_ladd(j: [i32; 2], k: [i32; 2]) -> [i32; 2] {
        let mut i = [0i32; 2];
        let itmp0 = k[0] + j[0];
        let itmp1 = itmp0 >> 16;
        i[0] = itmp0 - (itmp1 << 16);
        let itmp0 = itmp1 + k[1] + j[1];
        i[1] = itmp0 - ((itmp0 >> 15) << 15);
        i
    }

    /// `PTRANS_lmul`, with C's wrapping `int` products.
    fn c_lmul(k: [i32; 2], j: [i32; 2]) -> [i32; 2] {
        const IPOW30: i32 = 1 << 30;
        let mut i = [0i32; 2];
        let mut kt = k[0].wrapping_mul(j[0]);
        if kt < 0 {
            kt = (kt + IPOW30) + IPOW30;
        }
        i[0] = kt - ((kt >> 16) << 16);
        let mut lt = k[0]
            .wrapping_mul(j[1])
            .wrapping_add(k[1].wrapping_mul(j[0]));
        if lt < 0 {
            lt = (lt + IPOW30) + IPOW30;
        }
        kt = (kt >> 16).wrapping_add(lt);
        if kt < 0 {
            kt = (kt + IPOW30) + IPOW30;
        }
        i[1] = kt - ((kt >> 15) << 15);
        i
    }

    /// `xjumpm_`: returns (iranm, iam, icm).
    fn c_xjumpm(jumpm: i32, mult: [i32; 2], iadd: [i32; 2], irann: [i32; 2]) -> [[i32; 2]; 3] {
        if jumpm > 0 {
            let mut iam = mult;
            let mut icm = iadd;
            for _ in 0..jumpm - 1 {
                iam = c_lmul(iam, mult);
                let j = c_lmul(icm, mult);
                icm = c_ladd(iadd, j);
            }
            let j = c_lmul(irann, iam);
            [c_ladd(j, icm), iam, icm]
        } else {
            // The real code leaves iam and icm as they were.
            [irann, [0, 0], [0, 0]]
        }
    }

    /// The `rancom_` common block with `pdrand` and `jumpit_`.
    struct CRan {
        irand: [i32; 2],
        ias: [i32; 2],
        ics: [i32; 2],
    }

    impl CRan {
        fn pdrand(&mut self) -> f64 {
            let v = (f64::from(self.irand[0]) + f64::from(self.irand[1]) * 65536.0) / 2147483648.0;
            let j = c_lmul(self.irand, self.ias);
            self.irand = c_ladd(j, self.ics);
            v
        }

        fn jumpit(&mut self, mult: [i32; 2], iadd: [i32; 2], irann: [i32; 2]) -> [i32; 2] {
            let j = c_lmul(irann, mult);
            let r = c_ladd(j, iadd);
            self.irand = r;
            r
        }
    }

    fn c_numroc(n: i32, nb: i32, iproc: i32, nprocs: i32) -> i32 {
        let mydist = (nprocs + iproc) % nprocs;
        let nblocks = n / nb;
        let mut r = nblocks / nprocs * nb;
        let extrablks = nblocks % nprocs;
        if mydist < extrablks {
            r += nb;
        } else if mydist == extrablks {
            r += n % nb;
        }
        r
    }

    /// pdmatgen's "N" and "T" branches, transcribed with 1-based loops.
    #[allow(clippy::too_many_arguments)]
    fn c_pdmatgen(
        tran: bool,
        m: i32,
        n: i32,
        mb: i32,
        nb: i32,
        a: &mut [f64],
        lda: i32,
        iseed: i32,
        myrow: i32,
        mycol: i32,
        nprow: i32,
        npcol: i32,
        alpha: f64,
    ) {
        let mp = c_numroc(m, mb, myrow, nprow);
        let nq = c_numroc(n, nb, mycol, npcol);
        let (irnum, icnum) = (mp, nq);
        let (mrrow, mrcol) = (myrow, mycol);
        let npmb = nprow * mb;
        let nqnb = npcol * nb;
        let (moff, noff) = (0, 0);
        let mend = (irnum + mb - 1) / mb + moff;
        let nend = (icnum + nb - 1) / nb + noff;
        let mult = [20077, 16838];
        let iadd = [12345, 0];
        let jseed = [iseed, 0];
        let at = |ik: i32, jk: i32| ((ik - 1) + (jk - 1) * lda) as usize;

        let (j1, j2, j3, j4, j5, j6, j7) = if tran {
            (1, nqnb, n, npmb, mb, mrrow, nb * mrcol)
        } else {
            (1, npmb, m, nqnb, nb, mrcol, mb * mrrow)
        };
        let [iran1, ia1, ic1] = c_xjumpm(j1, mult, iadd, jseed);
        let [_, ia2, ic2] = c_xjumpm(j2, mult, iadd, iran1);
        let [_, ia3, ic3] = c_xjumpm(j3, mult, iadd, iran1);
        let [_, ia4, ic4] = c_xjumpm(j4, ia3, ic3, iran1);
        let [_, ia5, ic5] = c_xjumpm(j5, ia3, ic3, iran1);
        let [itmp3, _, _] = c_xjumpm(j6, ia5, ic5, iran1);
        let [iran1, _, _] = c_xjumpm(j7, mult, iadd, itmp3);
        let mut r = CRan {
            irand: iran1,
            ias: ia1,
            ics: ic1,
        };
        let (mut ib1, mut ib2, mut ib3) = (iran1, iran1, iran1);

        if tran {
            let mut ik = 1;
            'rows: for _ir in moff + 1..=mend {
                for _j in 1..=mb {
                    if ik > irnum {
                        break 'rows;
                    }
                    let mut jk = 1;
                    'cols: for _ic in noff + 1..=nend {
                        for _i in 1..=nb {
                            if jk > icnum {
                                break 'cols;
                            }
                            let v = &mut a[at(ik, jk)];
                            *v = alpha * *v + 1. - r.pdrand() * 2.;
                            jk += 1;
                        }
                        ib1 = r.jumpit(ia2, ic2, ib1);
                    }
                    ik += 1;
                    let t = r.jumpit(ia3, ic3, ib2);
                    ib1 = t;
                    ib2 = t;
                }
                let t = r.jumpit(ia4, ic4, ib3);
                ib1 = t;
                ib2 = t;
                ib3 = t;
            }
        } else {
            let mut jk = 1;
            'cols: for _ic in noff + 1..=nend {
                for _i in 1..=nb {
                    if jk > icnum {
                        break 'cols;
                    }
                    let mut ik = 1;
                    'rows: for _ir in moff + 1..=mend {
                        for _j in 1..=mb {
                            if ik > irnum {
                                break 'rows;
                            }
                            let v = &mut a[at(ik, jk)];
                            *v = alpha * *v + 1. - r.pdrand() * 2.;
                            ik += 1;
                        }
                        ib1 = r.jumpit(ia2, ic2, ib1);
                    }
                    jk += 1;
                    let t = r.jumpit(ia3, ic3, ib2);
                    ib1 = t;
                    ib2 = t;
                }
                let t = r.jumpit(ia4, ic4, ib3);
                ib1 = t;
                ib2 = t;
                ib3 = t;
            }
        }
    }

    fn halves(x: u32) -> [i32; 2] {
        [(x & 0xffff) as i32, (x >> 16) as i32]
    }

    fn join(h: [i32; 2]) -> u32 {
        h[0] as u32 | ((h[1] as u32) << 16)
    }

    fn operands() -> Vec<u32> {
        let mut v = vec![0, 1, 2, 12345, 65535, 65536, MULT, (1 << 31) - 1, 1 << 30];
        let mut x = 7u32;
        for _ in 0..200 {
            x = Jump::STEP.apply(x);
            v.push(x);
        }
        v
    }

    #[test]
    fn modular_arithmetic_matches_limb_code() {
        let ops = operands();
        for &a in &ops {
            for &b in &ops {
                assert_eq!(join(c_lmul(halves(a), halves(b))), mul(a, b), "{a} * {b}");
                let sum = ((u64::from(a) + u64::from(b)) & MASK) as u32;
                assert_eq!(join(c_ladd(halves(a), halves(b))), sum, "{a} + {b}");
            }
        }
    }

    #[test]
    fn jumps_match_xjumpm_and_stepping() {
        for n in [1u64, 2, 3, 7, 64, 1000, 4097] {
            let [x, iam, icm] = c_xjumpm(n as i32, halves(MULT), halves(IADD), halves(42));
            let j = Jump::by(n);
            assert_eq!((j.mult, j.add), (join(iam), join(icm)), "n = {n}");
            assert_eq!(j.apply(42), join(x));
            let mut s = 42;
            for _ in 0..n {
                s = Jump::STEP.apply(s);
            }
            assert_eq!(s, j.apply(42));
        }
        assert_eq!(Jump::by(0), Jump::IDENTITY);
        let (a, b) = (Jump::by(123), Jump::by(456));
        assert_eq!(a.then(b), Jump::by(579));
    }

    #[test]
    fn rand_matches_pdrand() {
        let mut c = CRan {
            irand: halves(987_654_321),
            ias: halves(MULT),
            ics: halves(IADD),
        };
        let mut r = Rand::new(987_654_321);
        for _ in 0..1000 {
            let (a, b) = (c.pdrand(), r.pdrand());
            assert_eq!(a.to_bits(), b.to_bits());
            assert!((0.0..1.0).contains(&b));
        }
    }

    /// Every form, grid, size and block size: bit for bit as pdmatgen,
    /// for overwrite and for update.
    #[test]
    fn local_parts_match_pdmatgen() {
        for tran in [false, true] {
            for (p, q) in [(1, 1), (1, 2), (2, 1), (2, 3), (3, 2), (2, 2)] {
                for (m, n, mb, nb) in [(7, 7, 2, 2), (10, 10, 3, 3), (9, 13, 4, 2), (1, 1, 5, 5)] {
                    for myrow in 0..p {
                        for mycol in 0..q {
                            let d = Distribution {
                                m,
                                n,
                                mb,
                                nb,
                                p,
                                q,
                                myrow,
                                mycol,
                            };
                            let (mp, nq) = (d.local_rows(), d.local_cols());
                            let lda = mp.max(1) + 1;
                            let len = lda * nq.max(1);
                            let form = if tran { Form::Transposed } else { Form::Plain };
                            let mut want = vec![0.0; len];
                            let mut got = vec![0.0; len];
                            for (seed, alpha) in [(100u32, 0.0), (200, 1.0)] {
                                c_pdmatgen(
                                    tran,
                                    m as i32,
                                    n as i32,
                                    mb as i32,
                                    nb as i32,
                                    &mut want,
                                    lda as i32,
                                    seed as i32,
                                    myrow as i32,
                                    mycol as i32,
                                    p as i32,
                                    q as i32,
                                    alpha,
                                );
                                generate(&d, form, seed, alpha, &mut got, lda);
                                let w: Vec<u64> = want.iter().map(|v| v.to_bits()).collect();
                                let g: Vec<u64> = got.iter().map(|v| v.to_bits()).collect();
                                assert_eq!(w, g, "tran {tran} {p}x{q} {m}x{n} ({myrow},{mycol})");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Form "T" of a square matrix is the transpose of form "N".
    #[test]
    fn transposed_form_is_the_transpose() {
        let n = 9;
        let whole = |form| {
            let d = Distribution {
                m: n,
                n,
                mb: 4,
                nb: 4,
                p: 1,
                q: 1,
                myrow: 0,
                mycol: 0,
            };
            let mut a = vec![0.0; n * n];
            generate(&d, form, SEED_A, 0.0, &mut a, n);
            a
        };
        let (plain, tran) = (whole(Form::Plain), whole(Form::Transposed));
        for i in 0..n {
            for j in 0..n {
                assert_eq!(plain[i + j * n], tran[j + i * n]);
                assert!(plain[i + j * n] > -1.0 && plain[i + j * n] <= 1.0);
            }
        }
    }
}
