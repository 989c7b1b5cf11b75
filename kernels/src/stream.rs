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
//! Each kernel has a version per [`Isa`](crate::isa::Isa), chosen by
//! [`Knobs::simd`]: the cached loops are compiled for each level by
//! [`crate::multiversion`]; the streaming ones are written with each level's
//! non-temporal store (`movntpd` of SSE2, which every x86-64 has, and its
//! AVX2 and AVX-512 widths).

use rayon::prelude::*;

use crate::isa::Simd;

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
    /// Non-temporal (streaming) stores that bypass the caches, on every
    /// x86-64 CPU at the width of the chosen level; on other targets the
    /// same as `Cached`. The usual tuning of STREAM for arrays far larger
    /// than the caches.
    Streaming,
}

/// The kernels' knobs.
#[derive(Clone, Copy, Debug)]
pub struct Knobs {
    /// Threads of the current rayon pool to split the loop over.
    pub threads: usize,
    pub stores: Stores,
    /// The instruction-set level the loops run at.
    pub simd: Simd,
}

/// Whether `stores` writes non-temporally on this target.
pub fn streams(stores: Stores) -> bool {
    stores == Stores::Streaming && cfg!(target_arch = "x86_64")
}

/// Arrays at least this long (elements) use streaming stores when the
/// driver asks for the default: 8 MiB per array, beyond any private cache.
pub const STREAMING_MIN_LEN: usize = 1 << 20;

/// `c = a`
pub fn copy(a: &[f64], c: &mut [f64], k: Knobs) {
    split2(c, a, k, |c, a| match k.stores {
        Stores::Cached => c.copy_from_slice(a),
        Stores::Streaming => streaming::copy(k.simd, c, a),
    });
}

/// `b = s c`
pub fn scale(b: &mut [f64], c: &[f64], s: f64, k: Knobs) {
    split2(b, c, k, |b, c| match k.stores {
        Stores::Cached => cached::scale(k.simd, b, c, s),
        Stores::Streaming => streaming::scale(k.simd, b, c, s),
    });
}

/// `c = a + b`
pub fn add(a: &[f64], b: &[f64], c: &mut [f64], k: Knobs) {
    split3(c, a, b, k, |c, a, b| match k.stores {
        Stores::Cached => cached::add(k.simd, c, a, b),
        Stores::Streaming => streaming::add(k.simd, c, a, b),
    });
}

/// `a = b + s c`
pub fn triad(a: &mut [f64], b: &[f64], c: &[f64], s: f64, k: Knobs) {
    split3(a, b, c, k, |a, b, c| match k.stores {
        Stores::Cached => cached::triad(k.simd, a, b, c, s),
        Stores::Streaming => streaming::triad(k.simd, a, b, c, s),
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

/// The loops with ordinary stores (Copy is `copy_from_slice`, a `memcpy`).
/// Inputs are as long as the output (the callers reslice them).
mod cached {
    crate::multiversion! {
        pub(super) fn scale(b: &mut [f64], c: &[f64], s: f64) {
            for (b, c) in b.iter_mut().zip(c) {
                *b = s * c;
            }
        }
    }
    crate::multiversion! {
        pub(super) fn add(c: &mut [f64], a: &[f64], b: &[f64]) {
            for ((c, a), b) in c.iter_mut().zip(a).zip(b) {
                *c = a + b;
            }
        }
    }
    crate::multiversion! {
        pub(super) fn triad(a: &mut [f64], b: &[f64], c: &[f64], s: f64) {
            for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
                *a = b + s * c;
            }
        }
    }
}

/// The loops with non-temporal stores, one module per level, each written
/// with its level's intrinsics by [`nt_level`]. Inputs are as long as the
/// output (the callers reslice them; each function checks).
#[cfg(target_arch = "x86_64")]
mod streaming {
    use crate::isa::{Isa, Simd};

    /// `dst[i] = $scalar` on the unaligned head and the tail, `$vector`
    /// (elements i..i+W) streamed to the aligned body, then a fence, since
    /// streaming stores are weakly ordered.
    macro_rules! nt_loop {
        ($dst:ident, $w:expr, $stream:ident, |$i:ident| $scalar:expr, $vector:expr) => {{
            let n = $dst.len();
            let head = $dst.as_ptr().align_offset($w * 8).min(n);
            let end = head + (n - head) / $w * $w;
            for $i in (0..head).chain(end..n) {
                $dst[$i] = $scalar;
            }
            let p = $dst.as_mut_ptr();
            let mut $i = head;
            while $i < end {
                // SAFETY: $i + W <= end <= n and p + $i is aligned to the
                // vector (head aligns it, steps are whole vectors); every
                // input is as long as `dst` (asserted by the caller).
                unsafe { $stream(p.add($i), $vector) };
                $i += $w;
            }
            _mm_sfence();
        }};
    }

    /// The four kernels of one level: `$feat` its target features, `$w`
    /// its doubles per vector, then its intrinsics.
    macro_rules! nt_level {
        ($level:ident, $feat:literal, $w:literal, $load:ident, $stream:ident, $add:ident, $mul:ident, $set1:ident) => {
            pub(super) mod $level {
                use std::arch::x86_64::*;

                /// # Safety
                /// The CPU must support the level's features.
                #[target_feature(enable = $feat)]
                pub(in super::super) unsafe fn copy(c: &mut [f64], a: &[f64]) {
                    assert_eq!(a.len(), c.len());
                    nt_loop!(c, $w, $stream, |i| a[i], $load(a.as_ptr().add(i)));
                }

                /// # Safety
                /// As [`copy`].
                #[target_feature(enable = $feat)]
                pub(in super::super) unsafe fn scale(b: &mut [f64], c: &[f64], s: f64) {
                    assert_eq!(c.len(), b.len());
                    let vs = $set1(s);
                    nt_loop!(
                        b,
                        $w,
                        $stream,
                        |i| s * c[i],
                        $mul(vs, $load(c.as_ptr().add(i)))
                    );
                }

                /// # Safety
                /// As [`copy`].
                #[target_feature(enable = $feat)]
                pub(in super::super) unsafe fn add(c: &mut [f64], a: &[f64], b: &[f64]) {
                    assert!(a.len() == c.len() && b.len() == c.len());
                    nt_loop!(
                        c,
                        $w,
                        $stream,
                        |i| a[i] + b[i],
                        $add($load(a.as_ptr().add(i)), $load(b.as_ptr().add(i)))
                    );
                }

                /// # Safety
                /// As [`copy`].
                #[target_feature(enable = $feat)]
                pub(in super::super) unsafe fn triad(a: &mut [f64], b: &[f64], c: &[f64], s: f64) {
                    assert!(b.len() == a.len() && c.len() == a.len());
                    let vs = $set1(s);
                    nt_loop!(
                        a,
                        $w,
                        $stream,
                        |i| b[i] + s * c[i],
                        $add($load(b.as_ptr().add(i)), $mul(vs, $load(c.as_ptr().add(i))))
                    );
                }
            }
        };
    }

    nt_level!(
        avx512,
        "avx512f",
        8,
        _mm512_loadu_pd,
        _mm512_stream_pd,
        _mm512_add_pd,
        _mm512_mul_pd,
        _mm512_set1_pd
    );
    nt_level!(
        avx2,
        "avx2,fma",
        4,
        _mm256_loadu_pd,
        _mm256_stream_pd,
        _mm256_add_pd,
        _mm256_mul_pd,
        _mm256_set1_pd
    );
    nt_level!(
        sse2,
        "sse2",
        2,
        _mm_loadu_pd,
        _mm_stream_pd,
        _mm_add_pd,
        _mm_mul_pd,
        _mm_set1_pd
    );

    /// Calls the `$f` of `simd`'s level.
    macro_rules! by_level {
        ($simd:expr, $f:ident($($arg:expr),*)) => {
            // SAFETY: a `Simd` is only made for levels the CPU supports, and
            // SSE2 is part of every x86-64.
            unsafe {
                match $simd.isa() {
                    Isa::Avx512 => avx512::$f($($arg),*),
                    Isa::Avx2 => avx2::$f($($arg),*),
                    Isa::Portable => sse2::$f($($arg),*),
                }
            }
        };
    }

    pub(super) fn copy(simd: Simd, c: &mut [f64], a: &[f64]) {
        by_level!(simd, copy(c, a))
    }
    pub(super) fn scale(simd: Simd, b: &mut [f64], c: &[f64], s: f64) {
        by_level!(simd, scale(b, c, s))
    }
    pub(super) fn add(simd: Simd, c: &mut [f64], a: &[f64], b: &[f64]) {
        by_level!(simd, add(c, a, b))
    }
    pub(super) fn triad(simd: Simd, a: &mut [f64], b: &[f64], c: &[f64], s: f64) {
        by_level!(simd, triad(a, b, c, s))
    }
}

/// Off x86-64, streaming falls back to ordinary stores.
#[cfg(not(target_arch = "x86_64"))]
mod streaming {
    use crate::isa::Simd;

    pub(super) fn copy(_: Simd, c: &mut [f64], a: &[f64]) {
        c.copy_from_slice(a);
    }
    pub(super) use super::cached::{add, scale, triad};
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
        Knobs {
            threads,
            stores,
            simd: Simd::PORTABLE,
        }
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
                for (stores, simd) in every_path() {
                    let k = Knobs {
                        simd,
                        ..knobs(threads, stores)
                    };
                    let (a, b, c) = run_rounds(n, NTIMES, k);
                    let e = expected(NTIMES);
                    let err = avg_abs_errors(&a, &b, &c, e);
                    for k in 0..3 {
                        assert!(
                            err[k] / e[k] <= EPSILON,
                            "n={n} threads={threads} {stores:?} {simd:?} array {k}"
                        );
                    }
                }
            }
        }
    }

    /// Every store kind at every level this CPU runs.
    fn every_path() -> Vec<(Stores, Simd)> {
        Simd::all_supported()
            .into_iter()
            .flat_map(|simd| [(Stores::Cached, simd), (Stores::Streaming, simd)])
            .collect()
    }

    /// Each path gives the portable cached loops' bits, at odd lengths and
    /// offsets (heads and tails of every vector width).
    #[test]
    fn every_path_matches_the_portable_loops() {
        let n = 1000;
        let x: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).cos()).collect();
        for (off, len) in [(0, n), (1, 997), (3, 513), (5, 31)] {
            let (x, y) = (&x[off..off + len], &y[off..off + len]);
            let mut want = [
                vec![0.0; len],
                vec![0.0; len],
                vec![0.0; len],
                vec![0.0; len],
            ];
            let p = knobs(1, Stores::Cached);
            copy(x, &mut want[0], p);
            scale(&mut want[1], x, 1.7, p);
            add(x, y, &mut want[2], p);
            triad(&mut want[3], x, y, SCALAR, p);
            for (stores, simd) in every_path() {
                let k = Knobs {
                    simd,
                    ..knobs(1, stores)
                };
                let mut buf = vec![f64::NAN; len + off];
                let got = &mut buf[off..];
                copy(x, got, k);
                assert_eq!(got, &want[0][..], "copy {stores:?} {simd:?} off {off}");
                scale(got, x, 1.7, k);
                assert_eq!(got, &want[1][..], "scale {stores:?} {simd:?} off {off}");
                add(x, y, got, k);
                assert_eq!(got, &want[2][..], "add {stores:?} {simd:?} off {off}");
                triad(got, x, y, SCALAR, k);
                assert_eq!(got, &want[3][..], "triad {stores:?} {simd:?} off {off}");
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
                for simd in Simd::all_supported() {
                    let mut buf = vec![f64::NAN; n];
                    let dst = &mut buf[off..off + len];
                    let k = Knobs {
                        simd,
                        ..knobs(1, Stores::Streaming)
                    };
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
