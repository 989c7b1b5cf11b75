//! The local pieces of the transpose: gathering a class of `A` transposed
//! into a condensed buffer (PDTRANS's `dtr2bf_`), adding a received buffer
//! into `C` (`dmv2mx_`), and adding the class a process keeps straight into
//! `C` (`dtr2mx_`).
//!
//! All matrices are column-major slices with a leading dimension. The
//! transposing kernels walk `TILE x TILE` tiles, so that both the columns
//! read and the columns written stay in the L1 cache while a tile is
//! turned (PDTRANS's loops write one entry per cache line across the whole
//! block). The add kernel works column by column on contiguous runs.

use super::classes::Piece;

/// Edge of the square tiles the transposing kernels turn at a time: 16 x
/// 16 doubles read and written are 4 KiB together.
pub const TILE: usize = 16;

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
/// If a slice is too short for its block.
pub fn transpose_block(
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
    match mode {
        Mode::Assign => tiles(src, lds, h, w, dst, ldd, |d, s| *d = s),
        Mode::Add => tiles(src, lds, h, w, dst, ldd, |d, s| *d += s),
    }
}

#[inline(always)]
fn tiles(
    src: &[f64],
    lds: usize,
    h: usize,
    w: usize,
    dst: &mut [f64],
    ldd: usize,
    op: impl Fn(&mut f64, f64),
) {
    for i0 in (0..h).step_by(TILE) {
        let i1 = (i0 + TILE).min(h);
        for j0 in (0..w).step_by(TILE) {
            let j1 = (j0 + TILE).min(w);
            for i in i0..i1 {
                let row = &mut dst[i * ldd + j0..i * ldd + j1];
                let col = &src[i + j0 * lds..];
                for (jj, d) in row.iter_mut().enumerate() {
                    op(d, col[jj * lds]);
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
    /// against the two-line definition.
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
                    transpose_block(&src, lds, h, w, &mut dst, ldd, mode);
                    assert_eq!(dst, want, "{h}x{w} lds {lds} ldd {ldd} {mode:?}");
                }
            }
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
