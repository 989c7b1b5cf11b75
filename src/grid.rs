//! The P x Q process grid of HPL and PTRANS (HPL's `HPL_grid_init`).
//!
//! The first P x Q ranks of the world form the grid; the rest sit idle, as in
//! HPCC. With row-major mapping (PMAP 0) rank r sits at row `r / Q`, column
//! `r % Q`; with column-major mapping (PMAP 1) at row `r % P`, column
//! `r / P`. Each grid rank also gets a row communicator (its process row,
//! ranked by column) and a column communicator (its process column, ranked
//! by row), as HPL's `row_comm` and `col_comm`.

use mpi::topology::{Color, Communicator, SimpleCommunicator};

use crate::config::Pmap;

/// Where a world rank sits in a P x Q grid, or `None` when it is idle.
pub fn coordinates(rank: usize, p: usize, q: usize, pmap: Pmap) -> Option<(usize, usize)> {
    if rank >= p * q {
        return None;
    }
    Some(match pmap {
        Pmap::RowMajor => (rank / q, rank % q),
        Pmap::ColumnMajor => (rank % p, rank / p),
    })
}

/// The world rank at grid position (row, col).
pub fn rank_at(row: usize, col: usize, p: usize, q: usize, pmap: Pmap) -> usize {
    match pmap {
        Pmap::RowMajor => row * q + col,
        Pmap::ColumnMajor => col * p + row,
    }
}

/// This rank's place in the grid and its communicators.
pub struct ProcessGrid {
    pub p: usize,
    pub q: usize,
    pub pmap: Pmap,
    pub myrow: usize,
    pub mycol: usize,
    /// The P x Q grid ranks, ranked as in the world.
    pub all: SimpleCommunicator,
    /// This rank's process row: Q ranks, rank = column.
    pub row: SimpleCommunicator,
    /// This rank's process column: P ranks, rank = row.
    pub col: SimpleCommunicator,
}

impl ProcessGrid {
    /// Build the grid; collective over `world`. Idle ranks get `None`.
    pub fn new(world: &SimpleCommunicator, p: usize, q: usize, pmap: Pmap) -> Option<ProcessGrid> {
        let rank = world.rank() as usize;
        let place = coordinates(rank, p, q, pmap);
        let color =
            |c: Option<usize>| c.map_or(Color::undefined(), |c| Color::with_value(c as i32));
        let all = world.split_by_color(color(place.map(|_| 0)));
        let row = world.split_by_color_with_key(
            color(place.map(|(r, _)| r)),
            place.map_or(0, |(_, c)| c as i32),
        );
        let col = world.split_by_color_with_key(
            color(place.map(|(_, c)| c)),
            place.map_or(0, |(r, _)| r as i32),
        );
        let (myrow, mycol) = place?;
        Some(ProcessGrid {
            p,
            q,
            pmap,
            myrow,
            mycol,
            all: all?,
            row: row?,
            col: col?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_follows_hpl() {
        // 2 x 3, row-major: ranks fill rows.
        assert_eq!(coordinates(0, 2, 3, Pmap::RowMajor), Some((0, 0)));
        assert_eq!(coordinates(2, 2, 3, Pmap::RowMajor), Some((0, 2)));
        assert_eq!(coordinates(3, 2, 3, Pmap::RowMajor), Some((1, 0)));
        // Column-major: ranks fill columns.
        assert_eq!(coordinates(1, 2, 3, Pmap::ColumnMajor), Some((1, 0)));
        assert_eq!(coordinates(2, 2, 3, Pmap::ColumnMajor), Some((0, 1)));
        // Beyond P x Q: idle.
        assert_eq!(coordinates(6, 2, 3, Pmap::RowMajor), None);
    }

    #[test]
    fn rank_at_inverts_coordinates() {
        for (p, q) in [(1, 1), (1, 4), (4, 1), (2, 3), (3, 2), (3, 3)] {
            for pmap in [Pmap::RowMajor, Pmap::ColumnMajor] {
                let mut seen = vec![false; p * q];
                for r in 0..p * q {
                    let (row, col) = coordinates(r, p, q, pmap).unwrap();
                    assert!(row < p && col < q);
                    assert_eq!(rank_at(row, col, p, q, pmap), r);
                    assert!(!std::mem::replace(&mut seen[row * q + col], true));
                }
            }
        }
    }
}
