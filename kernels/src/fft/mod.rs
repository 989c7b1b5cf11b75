//! One-dimensional complex double-precision FFT pieces for HPCC's FFT tests
//! (HPCC `FFT/`): the input generator, the local transform of SingleFFT and
//! StarFFT, and the steps of MPIFFT's distributed transform.
//!
//! The transform is `X[k] = sum_j x[j] exp(-2 pi i j k / n)` (forward) and
//! `x[j] = (1 / n) sum_k X[k] exp(+2 pi i j k / n)` (inverse, scaled as
//! FFTE's inverse is).
//!
//! Local transforms go through `rustfft` ([`API`]): it plans any length
//! (radix 2 to 11 butterflies, mixed radix, Rader and Bluestein for large
//! primes), picks AVX, SSE or NEON code at run time, and can transform out
//! of place with no scratch for power-of-two lengths, which HPCC's sizes are.
//!
//! - [`bcnrand`]: HPCC's generator of the input vectors, bit for bit;
//! - [`local`]: the one-process transform with a plan made once;
//! - [`sixstep`]: the transpose-based transform over `P` processes (FFTE's
//!   `pzfft1d` scheme: three all-to-all exchanges), as pure steps that the
//!   MPI driver strings together with `MPI_Alltoall`.

pub mod bcnrand;
pub mod local;
pub mod sixstep;

pub use rustfft::num_complex::Complex64;
pub use rustfft::FftDirection;

/// The FFT library and version, HPCC's `FFT_API` summary value.
pub const API: &str = "rustfft 6.4.1";

use std::sync::Arc;

use crate::isa::Simd;

/// rustfft's planner for a level: on x86-64 its AVX code (which needs AVX
/// and FMA) from [`Isa::Avx2`](crate::isa::Isa::Avx2) up, its SSE code (SSE4.1) or its scalar code
/// below, so that `--isa portable` also keeps rustfft off AVX; elsewhere
/// rustfft's own choice.
pub enum Planner {
    #[cfg(target_arch = "x86_64")]
    Avx(rustfft::FftPlannerAvx<f64>),
    #[cfg(target_arch = "x86_64")]
    Sse(rustfft::FftPlannerSse<f64>),
    #[cfg(target_arch = "x86_64")]
    Scalar(rustfft::FftPlannerScalar<f64>),
    #[cfg(not(target_arch = "x86_64"))]
    Auto(rustfft::FftPlanner<f64>),
}

impl Planner {
    #[cfg(target_arch = "x86_64")]
    pub fn new(simd: Simd) -> Planner {
        if simd.isa() >= crate::isa::Isa::Avx2 {
            if let Ok(p) = rustfft::FftPlannerAvx::new() {
                return Planner::Avx(p);
            }
        }
        match rustfft::FftPlannerSse::new() {
            Ok(p) => Planner::Sse(p),
            Err(_) => Planner::Scalar(rustfft::FftPlannerScalar::new()),
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub fn new(_: Simd) -> Planner {
        Planner::Auto(rustfft::FftPlanner::new())
    }

    /// Which of rustfft's code paths plans here: `avx`, `sse`, `scalar`
    /// (or `auto` off x86-64).
    pub fn code(&self) -> &'static str {
        match self {
            #[cfg(target_arch = "x86_64")]
            Planner::Avx(_) => "avx",
            #[cfg(target_arch = "x86_64")]
            Planner::Sse(_) => "sse",
            #[cfg(target_arch = "x86_64")]
            Planner::Scalar(_) => "scalar",
            #[cfg(not(target_arch = "x86_64"))]
            Planner::Auto(_) => "auto",
        }
    }

    pub fn plan_fft(&mut self, n: usize, direction: FftDirection) -> Arc<dyn rustfft::Fft<f64>> {
        match self {
            #[cfg(target_arch = "x86_64")]
            Planner::Avx(p) => p.plan_fft(n, direction),
            #[cfg(target_arch = "x86_64")]
            Planner::Sse(p) => p.plan_fft(n, direction),
            #[cfg(target_arch = "x86_64")]
            Planner::Scalar(p) => p.plan_fft(n, direction),
            #[cfg(not(target_arch = "x86_64"))]
            Planner::Auto(p) => p.plan_fft(n, direction),
        }
    }
}

/// HPCC's flop count of a complex FFT of length `n`: `5 n log2(n)`.
pub fn flops(n: usize) -> f64 {
    let n = n as f64;
    5.0 * n * n.log2()
}

/// The complex vector as its interleaved real and imaginary parts.
pub fn as_reals(x: &[Complex64]) -> &[f64] {
    bytemuck::cast_slice(x)
}

/// The complex vector as its interleaved real and imaginary parts, mutably.
pub fn as_reals_mut(x: &mut [Complex64]) -> &mut [f64] {
    bytemuck::cast_slice_mut(x)
}

/// HPCC's error of the round trip: `max_i |x_i - y_i|`, each term
/// `sqrt(dre^2 + dim^2)`. A NaN anywhere makes the result NaN.
pub fn max_error(x: &[Complex64], y: &[Complex64]) -> f64 {
    x.iter().zip(y).fold(0.0f64, |m, (a, b)| {
        let d = a - b;
        let e = (d.re * d.re + d.im * d.im).sqrt();
        if e.is_nan() || m.is_nan() {
            f64::NAN
        } else {
            m.max(e)
        }
    })
}

/// HPCC's scaled error: `max_err / ln(n) / eps` with `eps = 2^-53`, which
/// must stay below the input's threshold.
pub fn scaled_error(max_err: f64, n: usize) -> f64 {
    max_err / (n as f64).ln() / (f64::EPSILON / 2.0)
}

/// Direct O(n^2) DFT, the reference the tests compare against.
#[cfg(test)]
pub(crate) fn dft(x: &[Complex64], direction: FftDirection) -> Vec<Complex64> {
    let n = x.len();
    let sign = match direction {
        FftDirection::Forward => -1.0,
        FftDirection::Inverse => 1.0,
    };
    (0..n)
        .map(|k| {
            x.iter()
                .enumerate()
                .map(|(j, &v)| {
                    let m = (j * k % n) as f64;
                    v * Complex64::from_polar(1.0, sign * std::f64::consts::TAU * m / n as f64)
                })
                .sum()
        })
        .collect()
}

/// A seeded test vector with entries in (0, 1) + (0, 1) i.
#[cfg(test)]
pub(crate) fn test_vector(n: usize, seed: u64) -> Vec<Complex64> {
    let mut x = vec![Complex64::default(); n];
    bcnrand::bcnrand(seed, as_reals_mut(&mut x));
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_the_locked_rustfft() {
        let lock = include_str!("../../../Cargo.lock");
        let version = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"rustfft\""))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .expect("rustfft in Cargo.lock")
            .trim_matches('"');
        assert_eq!(API, format!("rustfft {version}"));
    }

    #[test]
    fn reals_view_interleaves() {
        let mut x = vec![Complex64::new(1.0, 2.0), Complex64::new(3.0, 4.0)];
        assert_eq!(as_reals(&x), &[1.0, 2.0, 3.0, 4.0]);
        as_reals_mut(&mut x)[3] = 5.0;
        assert_eq!(x[1], Complex64::new(3.0, 5.0));
    }

    #[test]
    fn max_error_is_the_largest_modulus_and_catches_nan() {
        let x = [Complex64::new(1.0, 1.0), Complex64::new(0.0, 0.0)];
        let y = [Complex64::new(1.0, 1.0), Complex64::new(3.0, 4.0)];
        assert_eq!(max_error(&x, &y), 5.0);
        let z = [Complex64::new(f64::NAN, 0.0), Complex64::new(0.0, 0.0)];
        assert!(max_error(&z, &x).is_nan());
        assert!(max_error(&x, &z).is_nan());
    }

    #[test]
    fn flops_and_scaled_error_follow_hpcc() {
        assert_eq!(flops(1024), 5.0 * 1024.0 * 10.0);
        let e = scaled_error(1e-15, 1 << 20);
        assert!((e - 1e-15 / (20.0 * 2f64.ln()) / 2f64.powi(-53)).abs() < 1e-9);
    }

    #[test]
    fn dft_of_an_impulse_is_flat() {
        let mut x = vec![Complex64::default(); 6];
        x[1] = Complex64::new(1.0, 0.0);
        let y = dft(&x, FftDirection::Forward);
        for (k, v) in y.iter().enumerate() {
            let w = Complex64::from_polar(1.0, -std::f64::consts::TAU * k as f64 / 6.0);
            assert!((v - w).norm() < 1e-15);
        }
    }
}
