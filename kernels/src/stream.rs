//! STREAM's four kernels (McCalpin; HPCC `STREAM/stream.c`) and the
//! expected values its validation compares against.
//!
//! - Copy:  `c[j] = a[j]`
//! - Scale: `b[j] = s * c[j]`
//! - Add:   `c[j] = a[j] + b[j]`
//! - Triad: `a[j] = b[j] + s * c[j]`
//!
//! Each counts the bytes STREAM counts (2, 2, 3 and 3 words per element).
//! With `threads > 1` the loops are split into contiguous chunks run on the
//! current rayon pool, as STREAM's `omp parallel for` does.
//!
//! Vectorization was checked in the linked release binary (`objdump -d`,
//! the symbols `rhpcc_kernels::stream::{add,scale,triad}`): with
//! `target-cpu=native` the loops are unrolled AVX-512 `vmulpd`/`vaddpd` on
//! `zmm` registers. (The pre-LTO `--emit asm` output shows scalar loops:
//! with fat LTO, vectorization happens at link time.)

use rayon::prelude::*;

/// STREAM's scalar.
pub const SCALAR: f64 = 0.42;

/// Repetitions of each kernel (HPCC's `NTIMES`); the first is not counted.
pub const NTIMES: usize = 10;

/// Bytes moved per element by Copy, Scale, Add, Triad.
pub const BYTES_PER_ELEMENT: [f64; 4] = [16.0, 16.0, 24.0, 24.0];

/// Names of the kernels, in STREAM's order.
pub const NAMES: [&str; 4] = ["Copy", "Scale", "Add", "Triad"];

/// Smallest chunk a thread is given, so short vectors are not split thinly.
const MIN_CHUNK: usize = 1 << 14;

/// `c = a`
pub fn copy(a: &[f64], c: &mut [f64], threads: usize) {
    if threads <= 1 {
        c.copy_from_slice(a);
    } else {
        c.par_chunks_mut(chunk(c.len(), threads))
            .zip(a.par_chunks(chunk(a.len(), threads)))
            .for_each(|(c, a)| c.copy_from_slice(a));
    }
}

/// `b = s c`
pub fn scale(b: &mut [f64], c: &[f64], s: f64, threads: usize) {
    fn body(b: &mut [f64], c: &[f64], s: f64) {
        for (b, c) in b.iter_mut().zip(c) {
            *b = s * c;
        }
    }
    if threads <= 1 {
        body(b, c, s);
    } else {
        let k = chunk(b.len(), threads);
        b.par_chunks_mut(k)
            .zip(c.par_chunks(k))
            .for_each(|(b, c)| body(b, c, s));
    }
}

/// `c = a + b`
pub fn add(a: &[f64], b: &[f64], c: &mut [f64], threads: usize) {
    fn body(a: &[f64], b: &[f64], c: &mut [f64]) {
        for ((c, a), b) in c.iter_mut().zip(a).zip(b) {
            *c = a + b;
        }
    }
    if threads <= 1 {
        body(a, b, c);
    } else {
        let k = chunk(c.len(), threads);
        c.par_chunks_mut(k)
            .zip(a.par_chunks(k))
            .zip(b.par_chunks(k))
            .for_each(|((c, a), b)| body(a, b, c));
    }
}

/// `a = b + s c`
pub fn triad(a: &mut [f64], b: &[f64], c: &[f64], s: f64, threads: usize) {
    fn body(a: &mut [f64], b: &[f64], c: &[f64], s: f64) {
        for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
            *a = b + s * c;
        }
    }
    if threads <= 1 {
        body(a, b, c, s);
    } else {
        let k = chunk(a.len(), threads);
        a.par_chunks_mut(k)
            .zip(b.par_chunks(k))
            .zip(c.par_chunks(k))
            .for_each(|((a, b), c)| body(a, b, c, s));
    }
}

fn chunk(len: usize, threads: usize) -> usize {
    len.div_ceil(threads).max(MIN_CHUNK)
}

/// STREAM's initial values: a = 1, b = 2, c = 0.
pub fn init(a: &mut [f64], b: &mut [f64], c: &mut [f64]) {
    a.fill(1.0);
    b.fill(2.0);
    c.fill(0.0);
}

/// `a = 2 a`: STREAM's pass over a[] before the timed loop, which it also
/// times as an estimate of one kernel's duration.
pub fn double(a: &mut [f64], threads: usize) {
    if threads <= 1 {
        a.iter_mut().for_each(|x| *x *= 2.0);
    } else {
        a.par_chunks_mut(chunk(a.len(), threads))
            .for_each(|a| a.iter_mut().for_each(|x| *x *= 2.0));
    }
}

/// The values every element of a, b, c must hold after `ntimes` rounds of
/// the four kernels, computed as STREAM's `checkSTREAMresults` does.
pub fn expected(ntimes: usize) -> [f64; 3] {
    let (mut aj, mut bj, mut cj) = (2.0, 2.0, 0.0);
    for _ in 0..ntimes {
        cj = aj;
        bj = SCALAR * cj;
        cj = aj + bj;
        aj = bj + SCALAR * cj;
    }
    [aj, bj, cj]
}

/// STREAM's average absolute error of each array against `expected`.
pub fn avg_abs_errors(a: &[f64], b: &[f64], c: &[f64], expected: [f64; 3]) -> [f64; 3] {
    let n = a.len().max(1) as f64;
    let sum = |x: &[f64], e: f64| x.iter().map(|v| (v - e).abs()).sum::<f64>() / n;
    [
        sum(a, expected[0]),
        sum(b, expected[1]),
        sum(c, expected[2]),
    ]
}

/// STREAM's tolerance on the average relative error for doubles.
pub const EPSILON: f64 = 1e-13;

#[cfg(test)]
mod tests {
    use super::*;

    fn run_rounds(n: usize, rounds: usize, threads: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (mut a, mut b, mut c) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        init(&mut a, &mut b, &mut c);
        double(&mut a, threads);
        for _ in 0..rounds {
            copy(&a, &mut c, threads);
            scale(&mut b, &c, SCALAR, threads);
            add(&a, &b, &mut c, threads);
            triad(&mut a, &b, &c, SCALAR, threads);
        }
        (a, b, c)
    }

    #[test]
    fn kernels_reach_the_expected_values_at_size_edges() {
        for n in [1, 2, 3, 7, MIN_CHUNK - 1, MIN_CHUNK + 1, 3 * MIN_CHUNK + 5] {
            for threads in [1, 2, 3] {
                let (a, b, c) = run_rounds(n, NTIMES, threads);
                let e = expected(NTIMES);
                let err = avg_abs_errors(&a, &b, &c, e);
                for k in 0..3 {
                    assert!(
                        err[k] / e[k] <= EPSILON,
                        "n={n} threads={threads} array {k}"
                    );
                }
            }
        }
    }

    #[test]
    fn each_kernel_computes_its_formula() {
        let a = vec![1.0, 2.0, 3.0];
        let b = vec![10.0, 20.0, 30.0];
        let mut c = vec![0.0; 3];
        copy(&a, &mut c, 1);
        assert_eq!(c, a);
        let mut b2 = vec![0.0; 3];
        scale(&mut b2, &a, 2.0, 1);
        assert_eq!(b2, vec![2.0, 4.0, 6.0]);
        add(&a, &b, &mut c, 1);
        assert_eq!(c, vec![11.0, 22.0, 33.0]);
        let mut a2 = vec![0.0; 3];
        triad(&mut a2, &b, &a, 0.5, 1);
        assert_eq!(a2, vec![10.5, 21.0, 31.5]);
    }

    #[test]
    fn a_corrupted_element_is_detected() {
        let (mut a, b, c) = run_rounds(1000, NTIMES, 1);
        let e = expected(NTIMES);
        a[17] += 1.0;
        let err = avg_abs_errors(&a, &b, &c, e);
        assert!(err[0] / e[0] > EPSILON);
    }

    #[test]
    fn expected_values_follow_streams_recurrence() {
        // After one round from a=2: c=2, b=0.84, c=2.84, a=0.84+0.42*2.84.
        let e = expected(1);
        assert!((e[0] - (0.84 + 0.42 * 2.84)).abs() < 1e-15);
        assert!((e[1] - 0.84).abs() < 1e-15);
        assert!((e[2] - 2.84).abs() < 1e-15);
    }
}
