//! faer views of sub-blocks of column-major buffers, as HPL addresses its
//! local arrays: `(r0, c0)` offset, `nr x nc` extent, leading dimension
//! `ld`.

use faer::{MatMut, MatRef};

/// `nr x nc` view at `(r0, c0)` of the column-major `buf` with leading
/// dimension `ld`; empty views are allowed anywhere.
pub fn mat_ref(
    buf: &[f64],
    ld: usize,
    r0: usize,
    c0: usize,
    nr: usize,
    nc: usize,
) -> MatRef<'_, f64> {
    if nr == 0 || nc == 0 {
        return MatRef::from_column_major_slice_with_stride(&buf[..0], nr, nc, ld.max(nr));
    }
    MatRef::from_column_major_slice_with_stride(&buf[r0 + c0 * ld..], nr, nc, ld)
}

/// Mutable counterpart of [`mat_ref`].
pub fn mat_mut(
    buf: &mut [f64],
    ld: usize,
    r0: usize,
    c0: usize,
    nr: usize,
    nc: usize,
) -> MatMut<'_, f64> {
    if nr == 0 || nc == 0 {
        return MatMut::from_column_major_slice_with_stride_mut(&mut buf[..0], nr, nc, ld.max(nr));
    }
    MatMut::from_column_major_slice_with_stride_mut(&mut buf[r0 + c0 * ld..], nr, nc, ld)
}
