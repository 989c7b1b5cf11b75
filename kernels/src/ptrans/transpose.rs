//! The local pieces of the transpose: gathering a class of `A` transposed
//! into a condensed buffer (PDTRANS's `dtr2bf_`), adding a received buffer
//! into `C` (`dmv2mx_`), and adding the class a process keeps straight into
//! `C` (`dtr2mx_`).
//!
//! All matrices are column-major slices with a leading dimension. The
//! transposing kernel walks `TILE x TILE` tiles, so that the columns read
//! and the rows written stay in cache while a tile is turned (PDTRANS's
//! loops write one entry per cache line across a whole block), and turns
//! each tile in `8 x 8` squares, at the level [`crate::isa::active`] names:
//! with AVX-512 eight 512-bit loads, three rounds of shuffles and eight
//! stores; with AVX2 four `4 x 4` quarters of four 256-bit loads, two rounds
//! of shuffles and four stores each; else plain loops. The add kernel works
//! column by column on contiguous runs.

use super::classes::Piece;
use crate::isa::{self, Simd};

/// Edge of the square tiles the transposing kernel turns at a time: 64 x
/// 64 doubles read and written are 64 KiB together, an L2-resident pair.
pub const TILE: usize = 64;

/// Edge of the squares turned in registers.
const SQUARE: usize = 8;

/// Whether a kernel overwrites its destination or adds to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Assign,
    Add,
}

/// `dst[j + i ldd] (=|+=) src[i + j lds]` for `i < h`, `j < w`: the `w x h`
/// block at `dst` becomes (or gains) the transpose of the `h x w` block at
/// `src`.
///
/// # Panics
///
/// If a leading dimension is below its block's height or a slice is too
/// short for its block.
pub fn transpose_block(
    src: &[f64],
    lds: usize,
    h: usize,
    w: usize,
    dst: &mut [f64],
    ldd: usize,
    mode: Mode,
) {
    transpose_block_at(isa::active(), src, lds, h, w, dst, ldd, mode);
}

/// [`transpose_block`] at the level `simd`.
#[allow(clippy::too_many_arguments)]
pub fn transpose_block_at(
    simd: Simd,
    src: &[f64],
    lds: usize,
    h: usize,
    w: usize,
    dst: &mut [f64],
    ldd: usize,
    mode: Mode,
) {
    if h == 0 || w == 0 {
        return;
    }
    assert!(lds >= h && ldd >= w, "leading dimensions too small");
    assert!(src.len() >= (w - 1) * lds + h, "source too short");
    assert!(dst.len() >= (h - 1) * ldd + w, "destination too short");
    match (simd.isa(), mode) {
        // SAFETY: a `Simd` is only made for levels the CPU supports.
        #[cfg(target_arch = "x86_64")]
        (isa::Isa::Avx512, Mode::Assign) => unsafe {
            x86::tiles_avx512::<false>(src, lds, h, w, dst, ldd)
        },
        #[cfg(target_arch = "x86_64")]
        (isa::Isa::Avx512, Mode::Add) => unsafe {
            x86::tiles_avx512::<true>(src, lds, h, w, dst, ldd)
        },
        #[cfg(target_arch = "x86_64")]
        (isa::Isa::Avx2, Mode::Assign) => unsafe {
            x86::tiles_avx2::<false>(src, lds, h, w, dst, ldd)
        },
        #[cfg(target_arch = "x86_64")]
        (isa::Isa::Avx2, Mode::Add) => unsafe { x86::tiles_avx2::<true>(src, lds, h, w, dst, ldd) },
        (_, Mode::Assign) => tiles::<false>(square_loops::<false>, src, lds, h, w, dst, ldd),
        (_, Mode::Add) => tiles::<true>(square_loops::<true>, src, lds, h, w, dst, ldd),
    }
}

/// [`transpose_block`]'s loops, turning whole squares with `square` and
/// adding when `ADD`. Inlined into each level's `#[target_feature]` copy,
/// which passes its own square kernel: `square(src, so, lds, dst, d0, ldd)`
/// does `dst[d0 + j + i ldd] (=|+=) src[so + i + j lds]` for `i, j < 8`.
#[inline(always)]
fn tiles<const ADD: bool>(
    square: impl Fn(&[f64], usize, usize, &mut [f64], usize, usize),
    src: &[f64],
    lds: usize,
    h: usize,
    w: usize,
    dst: &mut [f64],
    ldd: usize,
) {
    for i0 in (0..h).step_by(TILE) {
        let i1 = (i0 + TILE).min(h);
        let ie = i0 + (i1 - i0) / SQUARE * SQUARE;
        for j0 in (0..w).step_by(TILE) {
            let j1 = (j0 + TILE).min(w);
            let je = j0 + (j1 - j0) / SQUARE * SQUARE;
            for i in (i0..ie).step_by(SQUARE) {
                for j in (j0..je).step_by(SQUARE) {
                    square(src, i + j * lds, lds, dst, j + i * ldd, ldd);
                }
            }
            // The ragged edges: rows ie..i1 of the tile, then columns je..j1.
            scalar::<ADD>(src, lds, ie..i1, j0..j1, dst, ldd);
            scalar::<ADD>(src, lds, i0..ie, je..j1, dst, ldd);
        }
    }
}

fn scalar<const ADD: bool>(
    src: &[f64],
    lds: usize,
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    dst: &mut [f64],
    ldd: usize,
) {
    for i in rows {
        for j in cols.clone() {
            let (s, d) = (src[i + j * lds], &mut dst[j + i * ldd]);
            *d = if ADD { *d + s } else { s };
        }
    }
}

/// One `8 x 8` square in plain loops.
#[inline(always)]
fn square_loops<const ADD: bool>(
    src: &[f64],
    so: usize,
    lds: usize,
    dst: &mut [f64],
    d0: usize,
    ldd: usize,
) {
    let cols: [&[f64]; SQUARE] = std::array::from_fn(|j| &src[so + j * lds..][..SQUARE]);
    for i in 0..SQUARE {
        let row = &mut dst[d0 + i * ldd..][..SQUARE];
        for (j, d) in row.iter_mut().enumerate() {
            *d = if ADD { *d + cols[j][i] } else { cols[j][i] };
        }
    }
}

/// The squares in AVX-512 and AVX2 shuffles, and the tile loops compiled
/// around each.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{tiles, SQUARE};
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tiles_avx512<const ADD: bool>(
        src: &[f64],
        lds: usize,
        h: usize,
        w: usize,
        dst: &mut [f64],
        ldd: usize,
    ) {
        // SAFETY (of the square's call): this function's own contract.
        tiles::<ADD>(
            |s, so, lds, d, d0, ldd| unsafe { square_avx512::<ADD>(s, so, lds, d, d0, ldd) },
            src,
            lds,
            h,
            w,
            dst,
            ldd,
        );
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tiles_avx2<const ADD: bool>(
        src: &[f64],
        lds: usize,
        h: usize,
        w: usize,
        dst: &mut [f64],
        ldd: usize,
    ) {
        // SAFETY (of the square's call): this function's own contract.
        tiles::<ADD>(
            |s, so, lds, d, d0, ldd| unsafe { square_avx2::<ADD>(s, so, lds, d, d0, ldd) },
            src,
            lds,
            h,
            w,
            dst,
            ldd,
        );
    }

    /// One `8 x 8` square: eight 512-bit loads, three rounds of shuffles.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn square_avx512<const ADD: bool>(
        src: &[f64],
        so: usize,
        lds: usize,
        dst: &mut [f64],
        d0: usize,
        ldd: usize,
    ) {
        assert!(so + 7 * lds + SQUARE <= src.len() && d0 + 7 * ldd + SQUARE <= dst.len());
        // SAFETY: every row and column of the square lies inside `src` and
        // `dst` (asserted above).
        unsafe {
            let s = src.as_ptr().add(so);
            let d = dst.as_mut_ptr().add(d0);
            let r: [__m512d; SQUARE] = std::array::from_fn(|k| _mm512_loadu_pd(s.add(k * lds)));
            // Pairs of columns: entries 0, 2, 4, 6 of both, and 1, 3, 5, 7.
            let t0 = _mm512_unpacklo_pd(r[0], r[1]);
            let t1 = _mm512_unpackhi_pd(r[0], r[1]);
            let t2 = _mm512_unpacklo_pd(r[2], r[3]);
            let t3 = _mm512_unpackhi_pd(r[2], r[3]);
            let t4 = _mm512_unpacklo_pd(r[4], r[5]);
            let t5 = _mm512_unpackhi_pd(r[4], r[5]);
            let t6 = _mm512_unpacklo_pd(r[6], r[7]);
            let t7 = _mm512_unpackhi_pd(r[6], r[7]);
            // 128-bit lanes of four columns.
            let lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
            let hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
            let u0 = _mm512_permutex2var_pd(t0, lo, t2);
            let u1 = _mm512_permutex2var_pd(t1, lo, t3);
            let u2 = _mm512_permutex2var_pd(t0, hi, t2);
            let u3 = _mm512_permutex2var_pd(t1, hi, t3);
            let u4 = _mm512_permutex2var_pd(t4, lo, t6);
            let u5 = _mm512_permutex2var_pd(t5, lo, t7);
            let u6 = _mm512_permutex2var_pd(t4, hi, t6);
            let u7 = _mm512_permutex2var_pd(t5, hi, t7);
            // 256-bit halves of all eight: row k of the square, transposed.
            let lo = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
            let hi = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
            let out = [
                _mm512_permutex2var_pd(u0, lo, u4),
                _mm512_permutex2var_pd(u1, lo, u5),
                _mm512_permutex2var_pd(u2, lo, u6),
                _mm512_permutex2var_pd(u3, lo, u7),
                _mm512_permutex2var_pd(u0, hi, u4),
                _mm512_permutex2var_pd(u1, hi, u5),
                _mm512_permutex2var_pd(u2, hi, u6),
                _mm512_permutex2var_pd(u3, hi, u7),
            ];
            for (k, v) in out.into_iter().enumerate() {
                let p = d.add(k * ldd);
                if ADD {
                    _mm512_storeu_pd(p, _mm512_add_pd(_mm512_loadu_pd(p), v));
                } else {
                    _mm512_storeu_pd(p, v);
                }
            }
        }
    }

    /// One `8 x 8` square as four `4 x 4` quarters: quarter `(a, b)` of the
    /// source (rows `4a..`, columns `4b..`) becomes quarter `(b, a)` of the
    /// destination; each is four 256-bit loads, two rounds of shuffles and
    /// four stores.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn square_avx2<const ADD: bool>(
        src: &[f64],
        so: usize,
        lds: usize,
        dst: &mut [f64],
        d0: usize,
        ldd: usize,
    ) {
        assert!(so + 7 * lds + SQUARE <= src.len() && d0 + 7 * ldd + SQUARE <= dst.len());
        // SAFETY: every row and column of the square lies inside `src` and
        // `dst` (asserted above).
        unsafe {
            for a in [0, 4] {
                for b in [0, 4] {
                    let s = src.as_ptr().add(so + a + b * lds);
                    let d = dst.as_mut_ptr().add(d0 + b + a * ldd);
                    let r: [__m256d; 4] = std::array::from_fn(|k| _mm256_loadu_pd(s.add(k * lds)));
                    // Entries 0, 2 and 1, 3 of pairs of columns.
                    let t0 = _mm256_unpacklo_pd(r[0], r[1]);
                    let t1 = _mm256_unpackhi_pd(r[0], r[1]);
                    let t2 = _mm256_unpacklo_pd(r[2], r[3]);
                    let t3 = _mm256_unpackhi_pd(r[2], r[3]);
                    // 128-bit halves: row k of the quarter, transposed.
                    let out = [
                        _mm256_permute2f128_pd::<0x20>(t0, t2),
                        _mm256_permute2f128_pd::<0x20>(t1, t3),
                        _mm256_permute2f128_pd::<0x31>(t0, t2),
                        _mm256_permute2f128_pd::<0x31>(t1, t3),
                    ];
                    for (k, v) in out.into_iter().enumerate() {
                        let p = d.add(k * ldd);
                        if ADD {
                            _mm256_storeu_pd(p, _mm256_add_pd(_mm256_loadu_pd(p), v));
                        } else {
                            _mm256_storeu_pd(p, v);
                        }
                    }
                }
            }
        }
    }
}

/// `dst[i + j ldd] += src[i + j lds]` for `i < h`, `j < w`.
///
/// # Panics
///
/// If a slice is too short for its block.
pub fn add_block(src: &[f64], lds: usize, h: usize, w: usize, dst: &mut [f64], ldd: usize) {
    if h == 0 || w == 0 {
        return;
    }
    assert!(lds >= h && ldd >= h, "leading dimensions too small");
    for j in 0..w {
        let s = &src[j * lds..j * lds + h];
        let d = &mut dst[j * ldd..j * ldd + h];
        for (d, s) in d.iter_mut().zip(s) {
            *d += s;
        }
    }
}

/// Transposes the pieces of `src` into `dst`: for each row piece `r` and
/// column piece `c`, source rows `r.src..` and columns `c.src..` go to
/// destination columns `r.dst..` and rows `c.dst..`.
///
/// Gathering a class into its buffer uses the class's send map
/// ([`super::classes::ClassMap`], `Mode::Assign`, `ldd = t_rows`); the class
/// a process keeps goes straight into `C` with
/// [`super::classes::Problem::keep`]'s pieces and `Mode::Add`.
pub fn transpose_pieces(
    src: &[f64],
    lds: usize,
    rows: &[Piece],
    cols: &[Piece],
    dst: &mut [f64],
    ldd: usize,
    mode: Mode,
) {
    for c in cols {
        for r in rows {
            let s = r.src + c.src * lds;
            let d = c.dst + r.dst * ldd;
            transpose_block(&src[s..], lds, r.len, c.len, &mut dst[d..], ldd, mode);
        }
    }
}

/// Adds the pieces of `src` into `dst`: source rows `r.src..` and columns
/// `c.src..` go to destination rows `r.dst..` and columns `c.dst..`
/// (scattering a received buffer into `C` with its receive map).
pub fn add_pieces(
    src: &[f64],
    lds: usize,
    rows: &[Piece],
    cols: &[Piece],
    dst: &mut [f64],
    ldd: usize,
) {
    for c in cols {
        for r in rows {
            let s = r.src + c.src * lds;
            let d = r.dst + c.dst * ldd;
            add_block(&src[s..], lds, r.len, c.len, &mut dst[d..], ldd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(len: usize, salt: f64) -> Vec<f64> {
        (0..len).map(|k| k as f64 * 0.5 + salt).collect()
    }

    /// Sizes around the tile edge, leading dimensions above the block,
    /// against the two-line definition, at every level this CPU runs.
    #[test]
    fn transpose_block_matches_naive() {
        for (h, w) in [
            (1, 1),
            (1, 7),
            (7, 1),
            (15, 17),
            (16, 16),
            (33, 20),
            (40, 3),
            (8, 8),
            (64, 64),
            (130, 75),
            (71, 200),
        ] {
            for (lds, ldd) in [(h, w), (h + 3, w + 5)] {
                let src = filled(lds * w, 0.25);
                for mode in [Mode::Assign, Mode::Add] {
                    let mut dst = filled(ldd * h, -3.0);
                    let mut want = dst.clone();
                    for i in 0..h {
                        for j in 0..w {
                            let v = src[i + j * lds];
                            match mode {
                                Mode::Assign => want[j + i * ldd] = v,
                                Mode::Add => want[j + i * ldd] += v,
                            }
                        }
                    }
                    for simd in Simd::all_supported() {
                        let mut got = dst.clone();
                        transpose_block_at(simd, &src, lds, h, w, &mut got, ldd, mode);
                        assert_eq!(got, want, "{h}x{w} lds {lds} ldd {ldd} {mode:?} {simd:?}");
                    }
                    transpose_block(&src, lds, h, w, &mut dst, ldd, mode);
                    assert_eq!(dst, want, "{h}x{w} lds {lds} ldd {ldd} {mode:?} active");
                }
            }
        }
    }

    /// The portable square kernel alone.
    #[test]
    fn square_loops_match_naive() {
        let (lds, ldd) = (11, 9);
        let src = filled(lds * 8 + 3, 0.5);
        for mode in [Mode::Assign, Mode::Add] {
            let mut dst = filled(ldd * 8 + 5, -1.0);
            let mut want = dst.clone();
            for i in 0..8 {
                for j in 0..8 {
                    let v = src[2 + i + j * lds];
                    match mode {
                        Mode::Assign => want[1 + j + i * ldd] = v,
                        Mode::Add => want[1 + j + i * ldd] += v,
                    }
                }
            }
            match mode {
                Mode::Assign => square_loops::<false>(&src, 2, lds, &mut dst, 1, ldd),
                Mode::Add => square_loops::<true>(&src, 2, lds, &mut dst, 1, ldd),
            }
            assert_eq!(dst, want, "{mode:?}");
        }
    }

    #[test]
    fn add_block_matches_naive() {
        let (h, w, lds, ldd) = (9, 5, 11, 10);
        let src = filled(lds * w, 1.0);
        let mut dst = filled(ldd * w, 2.0);
        let mut want = dst.clone();
        for j in 0..w {
            for i in 0..h {
                want[i + j * ldd] += src[i + j * lds];
            }
        }
        add_block(&src, lds, h, w, &mut dst, ldd);
        assert_eq!(dst, want);
    }

    /// Pieces address the right rows and columns on both sides.
    #[test]
    fn pieces_move_the_named_runs() {
        let (m, n) = (10, 12);
        let a = filled(m * n, 0.0);
        let rows = [
            Piece {
                src: 1,
                dst: 0,
                len: 3,
            },
            Piece {
                src: 7,
                dst: 3,
                len: 2,
            },
        ];
        let cols = [
            Piece {
                src: 0,
                dst: 0,
                len: 4,
            },
            Piece {
                src: 8,
                dst: 4,
                len: 4,
            },
        ];
        let (tr, tc) = (8, 5);
        let mut t = vec![0.0; tr * tc];
        transpose_pieces(&a, m, &rows, &cols, &mut t, tr, Mode::Assign);
        for r in &rows {
            for c in &cols {
                for i in 0..r.len {
                    for j in 0..c.len {
                        assert_eq!(
                            t[(c.dst + j) + (r.dst + i) * tr],
                            a[(r.src + i) + (c.src + j) * m]
                        );
                    }
                }
            }
        }
        // Scatter T back (untransposed) into a zero matrix at other places.
        let back_rows = [Piece {
            src: 0,
            dst: 2,
            len: 8,
        }];
        let back_cols = [
            Piece {
                src: 0,
                dst: 1,
                len: 2,
            },
            Piece {
                src: 2,
                dst: 6,
                len: 3,
            },
        ];
        let ldc = 11;
        let mut c = vec![0.0; ldc * 9];
        add_pieces(&t, tr, &back_rows, &back_cols, &mut c, ldc);
        add_pieces(&t, tr, &back_rows, &back_cols, &mut c, ldc);
        for bc in &back_cols {
            for j in 0..bc.len {
                for i in 0..8 {
                    assert_eq!(
                        c[(2 + i) + (bc.dst + j) * ldc],
                        2.0 * t[i + (bc.src + j) * tr]
                    );
                }
            }
        }
        assert_eq!(
            c.iter().filter(|v| **v != 0.0).count(),
            t.iter().filter(|v| **v != 0.0).count()
        );
    }
}
