//! The P x Q process grid under mpirun. Started by `cargo test`, this
//! program reruns itself with `mpirun -np 1..4` (over every grid that fits
//! and both mappings); under mpirun each rank checks its coordinates and its
//! row and column communicators against HPL's mapping.

use std::process::Command;

use mpi::collective::SystemOperation;
use mpi::traits::*;
use rhpcc::config::Pmap;
use rhpcc::grid::{coordinates, rank_at, ProcessGrid};

fn main() {
    if std::env::var_os("OMPI_COMM_WORLD_SIZE").is_some() {
        check_under_mpi();
        return;
    }
    let me = std::env::current_exe().unwrap();
    for ranks in 1..=4 {
        let out = Command::new("mpirun")
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .args(["--oversubscribe", "-np", &ranks.to_string()])
            .arg(&me)
            .output()
            .expect("mpirun starts");
        assert!(
            out.status.success(),
            "grid checks failed with {ranks} ranks:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("grid checks passed with {ranks} ranks");
    }
}

fn check_under_mpi() {
    let universe = mpi::initialize().unwrap();
    let world = universe.world();
    let size = world.size() as usize;
    let rank = world.rank() as usize;
    for p in 1..=size {
        for q in 1..=size / p {
            for pmap in [Pmap::RowMajor, Pmap::ColumnMajor] {
                let grid = ProcessGrid::new(&world, p, q, pmap);
                let place = coordinates(rank, p, q, pmap);
                assert_eq!(grid.is_some(), place.is_some(), "{p}x{q} rank {rank}");
                if let Some(g) = grid {
                    let (row, col) = place.unwrap();
                    assert_eq!((g.myrow, g.mycol), (row, col));
                    assert_eq!(g.all.size() as usize, p * q);
                    assert_eq!(g.row.size() as usize, q);
                    assert_eq!(g.col.size() as usize, p);
                    assert_eq!(g.row.rank() as usize, col);
                    assert_eq!(g.col.rank() as usize, row);
                    // Summing world ranks along the row and column gives the
                    // ranks HPL's mapping puts there.
                    let mut row_sum = 0usize;
                    g.row
                        .all_reduce_into(&rank, &mut row_sum, SystemOperation::sum());
                    let want: usize = (0..q).map(|c| rank_at(row, c, p, q, pmap)).sum();
                    assert_eq!(row_sum, want, "row sum {p}x{q} {pmap:?}");
                    let mut col_sum = 0usize;
                    g.col
                        .all_reduce_into(&rank, &mut col_sum, SystemOperation::sum());
                    let want: usize = (0..p).map(|r| rank_at(r, col, p, q, pmap)).sum();
                    assert_eq!(col_sum, want, "column sum {p}x{q} {pmap:?}");
                }
                world.barrier();
            }
        }
    }
}
