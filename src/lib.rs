//! rhpcc: the HPC Challenge benchmark suite (HPCC 1.5) in Rust, for
//! comparing native and virtualized placements of MPI jobs.
//!
//! The binary is a thin wrapper around [`run::main`]. Configuration
//! ([`config`]) is parsed and validated on rank 0 and broadcast before any
//! benchmark starts; each benchmark driver ([`stream`], [`latbw`]) takes the
//! MPI [`world::World`] and the configuration and returns
//! [`report::TestResult`]s, which [`report`] turns into `hpccoutf.txt`, the
//! JSON results document ([`report::json`]) and a table.

pub mod cli;
pub mod compare;
pub mod config;
pub mod cpu;
pub mod dgemm;
pub mod fft;
pub mod grid;
pub mod hpl;
pub mod latbw;
pub mod micro;
pub mod peak;
pub mod placement;
pub mod progress;
pub mod ptrans;
pub mod randomaccess;
pub mod report;
pub mod run;
pub mod stream;
pub mod world;
