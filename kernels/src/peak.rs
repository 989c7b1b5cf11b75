//! A floating-point peak probe: independent chains of fused multiply-adds,
//! enough of them to keep every FMA unit busy, with no memory traffic. Its
//! rate is what one core can reach at best, the denominator of HPL's
//! efficiency.
//!
//! Each iteration updates `CHAINS` vectors of `LANES` doubles with
//! `x <- x * m + a` (2 flops per lane). `m` is just below 1 and `a` tiny, so
//! the values stay normal and finite however long the loop runs.

/// Independent accumulator vectors: enough to cover the FMA latency (4
/// cycles) times two FMA units.
pub const CHAINS: usize = 12;

/// Doubles per vector register (AVX-512 where compiled for it).
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
pub const LANES: usize = 8;
#[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
pub const LANES: usize = 4;

/// Floating-point operations of `fma_chains(iters)`.
pub fn flops(iters: u64) -> f64 {
    iters as f64 * (CHAINS * LANES * 2) as f64
}

/// Run `iters` rounds of the chains; returns a value that depends on every
/// chain, so the work cannot be optimized away.
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
pub fn fma_chains(iters: u64) -> f64 {
    use std::arch::x86_64::*;
    // SAFETY: avx512f is enabled for the whole build (cfg above); no
    // memory is touched through raw pointers except the local array below.
    unsafe {
        let m = _mm512_set1_pd(1.0 - 1e-9);
        let a = _mm512_set1_pd(1e-9);
        let mut x = [_mm512_set1_pd(1.0); CHAINS];
        for (i, v) in x.iter_mut().enumerate() {
            *v = _mm512_set1_pd(1.0 + i as f64 * 1e-3);
        }
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
}

/// Portable version: the compiler vectorizes the fixed-size lanes.
#[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
pub fn fma_chains(iters: u64) -> f64 {
    let (m, a) = (1.0 - 1e-9, 1e-9);
    let mut x = [[0.0f64; LANES]; CHAINS];
    for (i, v) in x.iter_mut().enumerate() {
        *v = [1.0 + i as f64 * 1e-3; LANES];
    }
    for _ in 0..iters {
        for v in x.iter_mut() {
            for l in v.iter_mut() {
                *l = l.mul_add(m, a);
            }
        }
    }
    x.iter().flatten().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_follow_their_recurrence() {
        // After k steps from x0: x_k = m^k x0 + a (1 - m^k) / (1 - m).
        let (m, a) = (1.0f64 - 1e-9, 1e-9f64);
        let k = 1000u64;
        let mk = m.powi(k as i32);
        let want: f64 = (0..CHAINS)
            .map(|i| (mk * (1.0 + i as f64 * 1e-3) + a * (1.0 - mk) / (1.0 - m)) * LANES as f64)
            .sum();
        let got = fma_chains(k);
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        assert_eq!(
            fma_chains(0),
            (0..CHAINS)
                .map(|i| (1.0 + i as f64 * 1e-3) * LANES as f64)
                .sum::<f64>()
        );
    }

    #[test]
    fn flop_count() {
        assert_eq!(flops(10), (10 * CHAINS * LANES * 2) as f64);
    }
}
