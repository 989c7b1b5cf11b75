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

/// How results are written back to memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stores {
    /// Ordinary stores: each written cache line is first read from memory
    /// (read for ownership), so Copy moves 3 words per element, not 2.
    Cached,
    /// Non-temporal (streaming) stores that bypass the caches, where the CPU
    /// has AVX-512 (`_mm512_stream_pd`); elsewhere the same as `Cached`. The
    /// usual tuning of STREAM for arrays far larger than the caches.
    Streaming,
}

/// The kernels' knobs.
#[derive(Clone, Copy, Debug)]
pub struct Knobs {
    /// Threads of the current rayon pool to split the loop over.
    pub threads: usize,
    pub stores: Stores,
}

/// Arrays at least this long (elements) use streaming stores when the
/// driver asks for the default: 8 MiB per array, beyond any private cache.
pub const STREAMING_MIN_LEN: usize = 1 << 20;

/// `c = a`
pub fn copy(a: &[f64], c: &mut [f64], k: Knobs) {
    split2(c, a, k, |c, a| match k.stores {
        Stores::Cached => c.copy_from_slice(a),
        Stores::Streaming => streaming::copy(c, a),
    });
}

/// `b = s c`
pub fn scale(b: &mut [f64], c: &[f64], s: f64, k: Knobs) {
    split2(b, c, k, |b, c| match k.stores {
        Stores::Cached => {
            for (b, c) in b.iter_mut().zip(c) {
                *b = s * c;
            }
        }
        Stores::Streaming => streaming::scale(b, c, s),
    });
}

/// `c = a + b`
pub fn add(a: &[f64], b: &[f64], c: &mut [f64], k: Knobs) {
    split3(c, a, b, k, |c, a, b| match k.stores {
        Stores::Cached => {
            for ((c, a), b) in c.iter_mut().zip(a).zip(b) {
                *c = a + b;
            }
        }
        Stores::Streaming => streaming::add(c, a, b),
    });
}

/// `a = b + s c`
pub fn triad(a: &mut [f64], b: &[f64], c: &[f64], s: f64, k: Knobs) {
    split3(a, b, c, k, |a, b, c| match k.stores {
        Stores::Cached => {
            for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
                *a = b + s * c;
            }
        }
        Stores::Streaming => streaming::triad(a, b, c, s),
    });
}

/// Run `f` on `dst` and `x`, split into chunks over the pool's threads.
fn split2(dst: &mut [f64], x: &[f64], k: Knobs, f: impl Fn(&mut [f64], &[f64]) + Sync) {
    let x = &x[..dst.len()];
    if k.threads <= 1 {
        f(dst, x);
    } else {
        let n = chunk(dst.len(), k.threads);
        dst.par_chunks_mut(n)
            .zip(x.par_chunks(n))
            .for_each(|(d, x)| f(d, x));
    }
}

/// Run `f` on `dst`, `x` and `y`, split into chunks over the pool's threads.
fn split3(
    dst: &mut [f64],
    x: &[f64],
    y: &[f64],
    k: Knobs,
    f: impl Fn(&mut [f64], &[f64], &[f64]) + Sync,
) {
    let (x, y) = (&x[..dst.len()], &y[..dst.len()]);
    if k.threads <= 1 {
        f(dst, x, y);
    } else {
        let n = chunk(dst.len(), k.threads);
        dst.par_chunks_mut(n)
            .zip(x.par_chunks(n))
            .zip(y.par_chunks(n))
            .for_each(|((d, x), y)| f(d, x, y));
    }
}

fn chunk(len: usize, threads: usize) -> usize {
    len.div_ceil(threads).max(MIN_CHUNK)
}

/// The kernels with non-temporal stores. Inputs are as long as the output
/// (the callers reslice them).
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
mod streaming {
    use std::arch::x86_64::*;

    /// `dst[i] = scalar(i)` for every i, with the 64-byte-aligned middle
    /// written by `vector(i)` (elements i..i+8) through streaming stores.
    #[inline(always)]
    fn fill(dst: &mut [f64], scalar: impl Fn(usize) -> f64, vector: impl Fn(usize) -> __m512d) {
        let n = dst.len();
        let head = dst.as_ptr().align_offset(64).min(n);
        let body_end = head + (n - head) / 8 * 8;
        for (i, d) in dst[..head].iter_mut().enumerate() {
            *d = scalar(i);
        }
        let p = dst.as_mut_ptr();
        for i in (head..body_end).step_by(8) {
            // SAFETY: i + 8 <= n, and p + i is 64-byte aligned (head aligns
            // it, steps are 64 bytes).
            unsafe { _mm512_stream_pd(p.add(i), vector(i)) };
        }
        for (i, d) in dst.iter_mut().enumerate().skip(body_end) {
            *d = scalar(i);
        }
        // Streaming stores are weakly ordered: fence before anyone reads.
        unsafe { _mm_sfence() };
    }

    /// Eight elements of `x` from `i`. SAFETY: the caller ensures i + 8 <= x.len().
    #[inline(always)]
    unsafe fn load(x: &[f64], i: usize) -> __m512d {
        debug_assert!(i + 8 <= x.len());
        unsafe { _mm512_loadu_pd(x.as_ptr().add(i)) }
    }

    pub(super) fn copy(c: &mut [f64], a: &[f64]) {
        fill(c, |i| a[i], |i| unsafe { load(a, i) });
    }

    // SAFETY (all intrinsics below): this module is compiled only when
    // avx512f is enabled for the whole build; `fill` calls `vector(i)` only
    // with i + 8 <= len, and inputs are as long as the output.

    pub(super) fn scale(b: &mut [f64], c: &[f64], s: f64) {
        let vs = unsafe { _mm512_set1_pd(s) };
        fill(
            b,
            |i| s * c[i],
            |i| unsafe { _mm512_mul_pd(vs, load(c, i)) },
        );
    }

    pub(super) fn add(c: &mut [f64], a: &[f64], b: &[f64]) {
        fill(
            c,
            |i| a[i] + b[i],
            |i| unsafe { _mm512_add_pd(load(a, i), load(b, i)) },
        );
    }

    pub(super) fn triad(a: &mut [f64], b: &[f64], c: &[f64], s: f64) {
        let vs = unsafe { _mm512_set1_pd(s) };
        fill(
            a,
            |i| b[i] + s * c[i],
            |i| unsafe { _mm512_add_pd(load(b, i), _mm512_mul_pd(vs, load(c, i))) },
        );
    }
}

/// Without AVX-512 at compile time, streaming falls back to ordinary stores.
#[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
mod streaming {
    pub(super) fn copy(c: &mut [f64], a: &[f64]) {
        c.copy_from_slice(a);
    }
    pub(super) fn scale(b: &mut [f64], c: &[f64], s: f64) {
        b.iter_mut().zip(c).for_each(|(b, c)| *b = s * c);
    }
    pub(super) fn add(c: &mut [f64], a: &[f64], b: &[f64]) {
        c.iter_mut()
            .zip(a)
            .zip(b)
            .for_each(|((c, a), b)| *c = a + b);
    }
    pub(super) fn triad(a: &mut [f64], b: &[f64], c: &[f64], s: f64) {
        a.iter_mut()
            .zip(b)
            .zip(c)
            .for_each(|((a, b), c)| *a = b + s * c);
    }
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

    fn run_rounds(n: usize, rounds: usize, k: Knobs) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (mut a, mut b, mut c) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        init(&mut a, &mut b, &mut c);
        double(&mut a, k.threads);
        for _ in 0..rounds {
            copy(&a, &mut c, k);
            scale(&mut b, &c, SCALAR, k);
            add(&a, &b, &mut c, k);
            triad(&mut a, &b, &c, SCALAR, k);
        }
        (a, b, c)
    }

    fn knobs(threads: usize, stores: Stores) -> Knobs {
        Knobs { threads, stores }
    }

    #[test]
    fn kernels_reach_the_expected_values_at_size_edges() {
        for n in [
            1,
            2,
            3,
            7,
            8,
            9,
            17,
            64,
            MIN_CHUNK - 1,
            MIN_CHUNK + 1,
            3 * MIN_CHUNK + 5,
        ] {
            for threads in [1, 2, 3] {
                for stores in [Stores::Cached, Stores::Streaming] {
                    let (a, b, c) = run_rounds(n, NTIMES, knobs(threads, stores));
                    let e = expected(NTIMES);
                    let err = avg_abs_errors(&a, &b, &c, e);
                    for k in 0..3 {
                        assert!(
                            err[k] / e[k] <= EPSILON,
                            "n={n} threads={threads} {stores:?} array {k}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn each_kernel_computes_its_formula() {
        let k = knobs(1, Stores::Cached);
        let a = vec![1.0, 2.0, 3.0];
        let b = vec![10.0, 20.0, 30.0];
        let mut c = vec![0.0; 3];
        copy(&a, &mut c, k);
        assert_eq!(c, a);
        let mut b2 = vec![0.0; 3];
        scale(&mut b2, &a, 2.0, k);
        assert_eq!(b2, vec![2.0, 4.0, 6.0]);
        add(&a, &b, &mut c, k);
        assert_eq!(c, vec![11.0, 22.0, 33.0]);
        let mut a2 = vec![0.0; 3];
        triad(&mut a2, &b, &a, 0.5, k);
        assert_eq!(a2, vec![10.5, 21.0, 31.5]);
    }

    #[test]
    fn streaming_stores_write_every_element_at_any_alignment() {
        // Sub-slices starting at every offset within a cache line, lengths
        // around the 8-element vector width: head, body and tail all run.
        let n = 200;
        let x: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
        let y: Vec<f64> = (0..n).map(|i| 1000.0 - i as f64).collect();
        for off in 0..9 {
            for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 150] {
                let (x, y) = (&x[off..off + len], &y[off..off + len]);
                let mut buf = vec![f64::NAN; n];
                let dst = &mut buf[off..off + len];
                let k = knobs(1, Stores::Streaming);
                triad(dst, x, y, 0.42, k);
                for i in 0..len {
                    assert_eq!(dst[i], x[i] + 0.42 * y[i], "off {off} len {len} i {i}");
                }
                copy(x, dst, k);
                assert_eq!(dst, x);
                scale(dst, y, 3.0, k);
                assert!(dst.iter().zip(y).all(|(d, y)| *d == 3.0 * y));
                add(x, y, dst, k);
                assert!(dst
                    .iter()
                    .zip(x.iter().zip(y))
                    .all(|(d, (x, y))| *d == x + y));
                assert!(
                    buf[..off].iter().all(|v| v.is_nan()),
                    "wrote before the slice"
                );
                assert!(
                    buf[off + len..].iter().all(|v| v.is_nan()),
                    "wrote after the slice"
                );
            }
        }
    }

    #[test]
    fn a_corrupted_element_is_detected() {
        let (mut a, b, c) = run_rounds(1000, NTIMES, knobs(1, Stores::Cached));
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
