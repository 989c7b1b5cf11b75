//! HPCC's FFT input generator `HPCC_bcnrand` (HPCC `FFT/bcnrand.c`, after
//! D. H. Bailey's `bcnrand.f`): consecutive 53-bit sections of the binary
//! expansion of the 2-normal number `alpha_{2,3} = sum_k 1 / (3^k 2^(3^k))`,
//! scaled into (0, 1).
//!
//! With `p3i` the largest power of 3 not above the seed `a` (raised by
//! `3^33 + 100` when smaller), the state starts at
//! `d = (p3i / 2) 2^(a - p3i) mod p3i` and advances as `d <- d 2^53 mod p3i`;
//! each value is `d * (1 / p3i)`. The reduction `d 2^53 mod p3i` is done as
//! HPCC does it (a floating-point quotient estimate, then one correction in
//! 64-bit arithmetic), so the values are HPCC's bit for bit.

/// `3^33 + 100`, HPCC's smallest seed (smaller seeds are raised by it).
pub const MIN_SEED: u64 = 5_559_060_566_555_623;

/// HPCC's generator state.
#[derive(Clone, Debug)]
pub struct Bcnrand {
    d: u64,
    p3i: u64,
    rcp: f64,
}

/// `2^p mod m` by left-to-right binary exponentiation (HPCC's `expm2`).
fn pow2_mod(p: u64, m: u64) -> u64 {
    let m = u128::from(m);
    let mut r: u128 = 1 % m;
    for bit in (0..u64::BITS - p.leading_zeros()).rev() {
        r = r * r % m;
        if p >> bit & 1 == 1 {
            r = 2 * r % m;
        }
    }
    r as u64
}

impl Bcnrand {
    /// The generator HPCC starts with `HPCC_bcnrand(n, a, x)`.
    pub fn new(a: u64) -> Self {
        let a = if a < MIN_SEED { a + MIN_SEED } else { a };
        // d1 = the first power of 3 above a (at most 3^53); p3i = d1 / 3.
        let mut d1: u64 = 1;
        for _ in 0..53 {
            d1 = d1.wrapping_mul(3);
            if d1 > a {
                break;
            }
        }
        let p3i = d1 / 3;
        let d2 = pow2_mod(a - p3i, p3i);
        let d = (u128::from(d2) * u128::from(p3i / 2) % u128::from(p3i)) as u64;
        Bcnrand {
            d,
            p3i,
            rcp: 1.0 / p3i as f64,
        }
    }

    /// The next value in (0, 1).
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        let v = self.d as f64 * self.rcp;
        self.d = self.step(self.d);
        v
    }

    /// `d 2^53 mod p3i` as HPCC computes it.
    #[inline]
    fn step(&self, d: u64) -> u64 {
        const TWO64: f64 = 18_446_744_073_709_551_616.0;
        let hi = d >> 11;
        let lo = d << 53;
        // Estimate of the quotient (d 2^53) / p3i, possibly off by one.
        let v = (TWO64 * hi as f64 + lo as f64) * self.rcp;
        let q = v as u64;
        // The remainder lies within (-p3i, 2 p3i): its high half can be
        // ignored, as HPCC does.
        let mut r = lo.wrapping_sub(q.wrapping_mul(self.p3i)) as i64;
        let p = self.p3i as i64;
        if r < 0 {
            r += p;
        }
        if r > p {
            r -= p;
        }
        r as u64
    }

    /// Fill `x` with the next `x.len()` values.
    pub fn fill(&mut self, x: &mut [f64]) {
        for v in x {
            *v = self.next_f64();
        }
    }
}

/// `HPCC_bcnrand(x.len(), a, x)`.
pub fn bcnrand(a: u64, x: &mut [f64]) {
    Bcnrand::new(a).fill(x);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow2_mod_matches_repeated_doubling() {
        for m in [3u64, 81, 3u64.pow(20), 3u64.pow(33)] {
            let mut r = 1 % m;
            for p in 0..300u64 {
                assert_eq!(pow2_mod(p, m), r, "2^{p} mod {m}");
                r = 2 * r % m;
            }
        }
    }

    #[test]
    fn seed_picks_the_power_of_three_below_it() {
        let g = Bcnrand::new(0);
        assert_eq!(g.p3i, 3u64.pow(33));
        assert_eq!(MIN_SEED, 3u64.pow(33) + 100);
        // Every seed up to 2^53, HPCC's limit, lies below 3^34.
        let g = Bcnrand::new(1 << 53);
        assert_eq!(g.p3i, 3u64.pow(33));
    }

    /// HPCC's quotient-estimate reduction agrees with exact 128-bit
    /// arithmetic along the sequences HPCC's tests use.
    #[test]
    fn step_is_exact_reduction() {
        for a in [0u64, 53 * 2 * 4096, 53 * 3 * 2 * 65536, (1 << 53) - 1] {
            let g = Bcnrand::new(a);
            let mut d = g.d;
            for _ in 0..20_000 {
                let exact = ((u128::from(d) << 53) % u128::from(g.p3i)) as u64;
                let got = g.step(d);
                assert_eq!(got, exact, "seed {a}, d {d}");
                d = got;
            }
        }
    }

    #[test]
    fn values_lie_in_the_open_unit_interval_and_look_uniform() {
        let mut x = vec![0.0; 100_000];
        bcnrand(0, &mut x);
        assert!(x.iter().all(|&v| v > 0.0 && v < 1.0));
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
        let below = x.iter().filter(|&&v| v < 0.25).count() as f64 / x.len() as f64;
        assert!((below - 0.25).abs() < 0.01, "{below}");
        // Different seeds give different streams.
        let mut y = vec![0.0; 16];
        bcnrand(53 * 2 * 1024, &mut y);
        assert_ne!(x[..16], y[..]);
    }

    /// The first value is `d0 / p3i` with `d0 = (p3i / 2) 2^(a - p3i) mod
    /// p3i`; the next ones continue the binary expansion 53 bits at a time.
    #[test]
    fn first_values_follow_the_definition() {
        let p3i = 3u128.pow(33);
        let a = u128::from(MIN_SEED);
        let mut d = (p3i / 2) * u128::from(pow2_mod((a - p3i) as u64, p3i as u64)) % p3i;
        let mut x = [0.0; 8];
        bcnrand(0, &mut x);
        for v in x {
            assert_eq!(v, d as f64 * (1.0 / p3i as f64));
            d = (d << 53) % p3i;
        }
    }
}
