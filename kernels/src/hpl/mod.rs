//! Single-process pieces of HPL 2.x: the random matrix generator and the
//! local parts of the blocked LU factorization. The distributed driver
//! lives in the `rhpcc` crate (`src/hpl/`).

pub mod matgen;
pub mod panel;
pub mod view;
