//! A floating-point peak probe: independent chains of multiply-adds, enough
//! of them to keep every FMA unit busy, with no memory traffic. Its rate is
//! what one core can reach at best, the denominator of HPL's efficiency.
//!
//! Each iteration updates `CHAINS` vectors of [`lanes`] doubles with
//! `x <- x * m + a` (2 flops per lane). `m` is just below 1 and `a` tiny, so
//! the values stay normal and finite however long the loop runs.
//!
//! One version per [`Isa`]: AVX-512 (8 lanes, `vfmadd` on `zmm`), AVX2 + FMA
//! (4 lanes on `ymm`), and a portable one (4 lanes as plain `x * m + a`,
//! unfused: the baseline x86-64 has no FMA, and a fused `mul_add` would be a
//! library call there).

use crate::isa::{Isa, Simd};

/// Independent accumulator vectors: enough to cover the FMA latency (4-5
/// cycles) times two FMA units, and few enough to stay in the 16 `ymm`
/// registers with the two constants.
pub const CHAINS: usize = 12;

const M: f64 = 1.0 - 1e-9;
const A: f64 = 1e-9;

/// Doubles per vector of the `isa` version.
pub fn lanes(isa: Isa) -> usize {
    match isa {
        Isa::Avx512 => 8,
        Isa::Avx2 | Isa::Portable => 4,
    }
}

/// Floating-point operations of `fma_chains(simd, iters)`.
pub fn flops(isa: Isa, iters: u64) -> f64 {
    iters as f64 * (CHAINS * lanes(isa) * 2) as f64
}

/// Run `iters` rounds of the chains; returns the sum of every lane of
/// every chain, so the work cannot be optimized away.
pub fn fma_chains(simd: Simd, iters: u64) -> f64 {
    match simd.isa() {
        // SAFETY: `Simd` is only made for levels the CPU supports.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { x86::avx512(iters) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { x86::avx2(iters) },
        _ => portable(iters),
    }
}

/// Initial value of chain `i`.
fn start(i: usize) -> f64 {
    1.0 + i as f64 * 1e-3
}

fn portable(iters: u64) -> f64 {
    let mut x = [[0.0f64; 4]; CHAINS];
    for (i, v) in x.iter_mut().enumerate() {
        *v = [start(i); 4];
    }
    for _ in 0..iters {
        for v in x.iter_mut() {
            for l in v.iter_mut() {
                *l = *l * M + A;
            }
        }
    }
    x.iter().flatten().sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{start, A, CHAINS, M};
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512(iters: u64) -> f64 {
        let (m, a) = (_mm512_set1_pd(M), _mm512_set1_pd(A));
        let mut x: [__m512d; CHAINS] = std::array::from_fn(|i| _mm512_set1_pd(start(i)));
        for _ in 0..iters {
            for v in x.iter_mut() {
                *v = _mm512_fmadd_pd(*v, m, a);
            }
        }
        let mut sum = _mm512_setzero_pd();
        for v in x {
            sum = _mm512_add_pd(sum, v);
        }
        _mm512_reduce_add_pd(sum)
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2(iters: u64) -> f64 {
        let (m, a) = (_mm256_set1_pd(M), _mm256_set1_pd(A));
        let mut x: [__m256d; CHAINS] = std::array::from_fn(|i| _mm256_set1_pd(start(i)));
        for _ in 0..iters {
            for v in x.iter_mut() {
                *v = _mm256_fmadd_pd(*v, m, a);
            }
        }
        let mut out = [0.0f64; 4];
        let mut sum = _mm256_setzero_pd();
        for v in x {
            sum = _mm256_add_pd(sum, v);
        }
        // SAFETY: `out` holds 4 doubles.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), sum) };
        out.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every version this CPU runs follows `x_k = m^k x0 + a (1 - m^k) / (1 - m)`.
    #[test]
    fn chains_follow_their_recurrence() {
        let k = 1000u64;
        let mk = M.powi(k as i32);
        for simd in Simd::all_supported() {
            let lanes = lanes(simd.isa()) as f64;
            let want: f64 = (0..CHAINS)
                .map(|i| (mk * start(i) + A * (1.0 - mk) / (1.0 - M)) * lanes)
                .sum();
            let got = fma_chains(simd, k);
            assert!(
                (got - want).abs() < 1e-12 * want,
                "{simd:?}: {got} vs {want}"
            );
            let at0: f64 = (0..CHAINS).map(|i| start(i) * lanes).sum();
            let got0 = fma_chains(simd, 0);
            assert!(
                (got0 - at0).abs() < 1e-12 * at0,
                "{simd:?}: {got0} vs {at0}"
            );
        }
    }

    #[test]
    fn flop_count() {
        assert_eq!(flops(Isa::Avx512, 10), (10 * CHAINS * 8 * 2) as f64);
        assert_eq!(flops(Isa::Avx2, 10), (10 * CHAINS * 4 * 2) as f64);
        assert_eq!(flops(Isa::Portable, 10), (10 * CHAINS * 4 * 2) as f64);
    }
}
