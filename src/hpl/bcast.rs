//! The factored panel as one message, and its broadcast along the process
//! row (HPL's `HPL_binit` / `HPL_bcast` / `HPL_bwait`).
//!
//! HPL sends the panel from the process column that factored it to the
//! other process columns with one of six hand-written topologies (BCAST
//! 0-5: increasing ring, modified increasing ring, two rings, their
//! modified forms, long and long-modified) so that with look-ahead the
//! broadcast overlaps the update. Without look-ahead every process waits
//! for the whole panel anyway, so rhpcc maps every BCAST variant to one
//! `MPI_Bcast` over the row communicator, rooted at the panel's process
//! column; the chosen variant is still reported (`HPL_ctop`, the `T/V`
//! code) as the one requested.

use mpi::traits::*;

use crate::grid::ProcessGrid;

/// HPL's panel message (`PANEL->L2`, `PANEL->L1`, `PANEL->DPIV`, plus the
/// factorization's zero-pivot flag) in one buffer of doubles:
///
/// | range                          | content                                       |
/// |--------------------------------|-----------------------------------------------|
/// | `0 .. rows*jb`                 | this process row's rows of the panel, column-major, leading dimension `rows` (on the diagonal process row the first `jb` rows are `L11 \ U11`) |
/// | `rows*jb .. rows*jb + jb*jb`   | `L1 = L11 \ U11`, column-major, leading dimension `jb` |
/// | next `jb`                      | the pivot rows (global indices, exact as doubles) |
/// | last                           | `k + 1` for the first zero pivot in panel column `k`, or 0 |
pub struct PanelMessage {
    pub rows: usize,
    pub jb: usize,
    buf: Vec<f64>,
}

impl PanelMessage {
    /// An empty message for `rows` local panel rows and width `jb`.
    pub fn new(rows: usize, jb: usize) -> PanelMessage {
        PanelMessage {
            rows,
            jb,
            buf: vec![0.0; rows * jb + jb * jb + jb + 1],
        }
    }

    fn split(&self) -> [usize; 3] {
        let l = self.rows * self.jb;
        let l1 = l + self.jb * self.jb;
        [l, l1, l1 + self.jb]
    }

    /// The panel rows, `rows x jb`, leading dimension `rows`.
    pub fn l(&self) -> &[f64] {
        &self.buf[..self.split()[0]]
    }

    pub fn l_mut(&mut self) -> &mut [f64] {
        let e = self.split()[0];
        &mut self.buf[..e]
    }

    /// `L1`, `jb x jb`, leading dimension `jb`.
    pub fn l1(&self) -> &[f64] {
        let [a, b, _] = self.split();
        &self.buf[a..b]
    }

    pub fn l1_mut(&mut self) -> &mut [f64] {
        let [a, b, _] = self.split();
        &mut self.buf[a..b]
    }

    /// The pivot rows as global indices.
    pub fn ipiv(&self) -> Vec<usize> {
        let [_, b, c] = self.split();
        self.buf[b..c].iter().map(|&v| v as usize).collect()
    }

    pub fn set_ipiv(&mut self, ipiv: &[usize]) {
        let [_, b, c] = self.split();
        for (d, &v) in self.buf[b..c].iter_mut().zip(ipiv) {
            *d = v as f64;
        }
    }

    /// The panel column of the first zero pivot.
    pub fn zero_pivot(&self) -> Option<usize> {
        let v = *self.buf.last().expect("message has a flag");
        (v > 0.0).then(|| v as usize - 1)
    }

    pub fn set_zero_pivot(&mut self, k: Option<usize>) {
        *self.buf.last_mut().expect("message has a flag") = k.map_or(0.0, |k| (k + 1) as f64);
    }

    /// Broadcasts the message from process column `root` to the rest of
    /// the process row (every process of the row calls this; the message
    /// has the same size on all of them, as they share their rows).
    pub fn broadcast(&mut self, grid: &ProcessGrid, root: usize) {
        if grid.q > 1 {
            grid.row
                .process_at_rank(root as i32)
                .broadcast_into(&mut self.buf[..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_do_not_overlap() {
        let mut m = PanelMessage::new(5, 3);
        m.l_mut().fill(1.0);
        m.l1_mut().fill(2.0);
        m.set_ipiv(&[7, 8, 9]);
        m.set_zero_pivot(Some(2));
        assert!(m.l().iter().all(|&v| v == 1.0) && m.l().len() == 15);
        assert!(m.l1().iter().all(|&v| v == 2.0) && m.l1().len() == 9);
        assert_eq!(m.ipiv(), vec![7, 8, 9]);
        assert_eq!(m.zero_pivot(), Some(2));
        m.set_zero_pivot(None);
        assert_eq!(m.zero_pivot(), None);
        // A process row with no rows left still carries L1 and the pivots.
        let m = PanelMessage::new(0, 4);
        assert_eq!(m.l().len(), 0);
        assert_eq!(m.l1().len(), 16);
    }
}
