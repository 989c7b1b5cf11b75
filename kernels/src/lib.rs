//! Pure single-process kernels of rhpcc: no MPI, no I/O, no clock. The
//! drivers in the `rhpcc` crate time and verify them.

pub mod crand;
pub mod dgemm;
pub mod fft;
pub mod hpl;
pub mod isa;
pub mod latbw;
pub mod peak;
pub mod ptrans;
pub mod randomaccess;
pub mod stream;
