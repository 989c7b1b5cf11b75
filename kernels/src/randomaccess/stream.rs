//! RandomAccess's two address streams and their jump-ahead (HPCC's
//! `RandomAccess/utility.c` and `RandomAccess.h`).
//!
//! - [`Gf2`]: HPCC's standard stream, `a(i+1) = (a(i) << 1) xor (POLY if
//!   a(i) has its top bit set)`, POLY = 7: multiplication by `x` in
//!   GF(2)\[x\] modulo the primitive polynomial `x^64 + x^2 + x + 1`, with
//!   period [`PERIOD`]. The table index is the value's low `log2(size)`
//!   bits. [`Gf2::starts`] is `HPCC_starts`: `x^n` by square-and-multiply
//!   on the polynomials, using the table `m2[i] = x^(2i)`.
//! - [`Lcg`]: the `_LCG` tests' stream, `a(i+1) = LCG_MUL64 a(i) + LCG_ADD64
//!   mod 2^64`; the table index is the value's top `log2(size)` bits (an
//!   LCG's low bits are poor). [`Lcg::starts`] is `HPCC_starts_LCG`: the
//!   affine map `x -> m x + c` composed with itself by repeated squaring.
//!
//! Both streams start from `a(0) = 1`; `starts(n)` is `a(n)`, so a rank or
//! lane that must apply updates `n+1 .. n+k` starts from `starts(n)` and
//! steps before each update.

/// GF(2) polynomial of HPCC's standard stream (`POLY`).
pub const POLY: u64 = 0x7;

/// Period of the GF(2) stream (`PERIOD`).
pub const PERIOD: u64 = 1_317_624_576_693_539_401;

/// Multiplier of the LCG stream (`LCG_MUL64`, Knuth's MMIX multiplier).
pub const LCG_MUL64: u64 = 6_364_136_223_846_793_005;

/// Increment of the LCG stream (`LCG_ADD64`).
pub const LCG_ADD64: u64 = 1;

/// A RandomAccess address stream: how to step it, jump ahead in it, and
/// turn a value into an index of a table of `2^log_size` words.
pub trait Stream: Copy + Send + Sync + 'static {
    /// The section-name suffix HPCC uses for this stream (`""` or `"_LCG"`).
    const SUFFIX: &'static str;

    /// The next value of the stream.
    fn next(x: u64) -> u64;

    /// `a(n)`: the stream's value after `n` steps from `a(0) = 1`.
    fn starts(n: u64) -> u64;

    /// Index into a table of `2^log_size` words (`log_size < 64`); always
    /// below `2^log_size`.
    fn index(x: u64, log_size: u32) -> u64;
}

/// HPCC's standard GF(2) stream.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gf2;

/// The `_LCG` tests' stream.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lcg;

impl Stream for Gf2 {
    const SUFFIX: &'static str = "";

    #[inline(always)]
    fn next(x: u64) -> u64 {
        // (x << 1) ^ (x < 0 as signed ? POLY : 0), without a branch.
        (x << 1) ^ (((x as i64) >> 63) as u64 & POLY)
    }

    fn starts(n: u64) -> u64 {
        // HPCC reduces n into [0, PERIOD] by subtraction (n = PERIOD itself
        // is kept and yields a(PERIOD) = 1 through the polynomial algebra).
        let mut n = n;
        while n > PERIOD {
            n -= PERIOD;
        }
        if n == 0 {
            return 1;
        }
        // m2[i] = x^(2i) mod P.
        let mut m2 = [0u64; 64];
        let mut t = 1u64;
        for m in m2.iter_mut() {
            *m = t;
            t = Gf2::next(Gf2::next(t));
        }
        // Square-and-multiply from the top bit of n: ran = x^k, squaring
        // is the linear map sum(b_j x^j) -> sum(b_j x^(2j)).
        let mut i = 63 - n.leading_zeros() as i32;
        let mut ran = 2u64;
        while i > 0 {
            let mut sq = 0u64;
            for (j, m) in m2.iter().enumerate() {
                if (ran >> j) & 1 == 1 {
                    sq ^= m;
                }
            }
            ran = sq;
            i -= 1;
            if (n >> i) & 1 == 1 {
                ran = Gf2::next(ran);
            }
        }
        ran
    }

    #[inline(always)]
    fn index(x: u64, log_size: u32) -> u64 {
        x & ((1u64 << log_size) - 1)
    }
}

impl Stream for Lcg {
    const SUFFIX: &'static str = "_LCG";

    #[inline(always)]
    fn next(x: u64) -> u64 {
        LCG_MUL64.wrapping_mul(x).wrapping_add(LCG_ADD64)
    }

    fn starts(n: u64) -> u64 {
        // Apply (m, c)^n to 1, where (m, c) is x -> m x + c and
        // (m, c)^2 = (m^2, c (m + 1)).
        let (mut mul, mut add) = (LCG_MUL64, LCG_ADD64);
        let mut ran = 1u64;
        let mut k = n;
        while k != 0 {
            if k & 1 == 1 {
                ran = mul.wrapping_mul(ran).wrapping_add(add);
            }
            add = add.wrapping_mul(mul.wrapping_add(1));
            mul = mul.wrapping_mul(mul);
            k >>= 1;
        }
        ran
    }

    #[inline(always)]
    fn index(x: u64, log_size: u32) -> u64 {
        // x >> (64 - log_size), also for log_size = 0 (a shift by 64 is
        // not defined).
        (x >> 1) >> (63 - log_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stepped<S: Stream>(from: u64, steps: u64) -> u64 {
        (0..steps).fold(from, |x, _| S::next(x))
    }

    /// A small deterministic generator for test inputs (xorshift64*).
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    #[test]
    fn gf2_step_is_hpccs_formula() {
        for x in [
            0u64,
            1,
            2,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
            u64::MAX,
        ] {
            let hpcc = (x << 1) ^ (if (x as i64) < 0 { POLY } else { 0 });
            assert_eq!(Gf2::next(x), hpcc, "{x:#x}");
        }
    }

    fn starts_matches_stepping<S: Stream>() {
        let mut x = 1u64;
        for n in 0..3000u64 {
            assert_eq!(S::starts(n), x, "{} n={n}", std::any::type_name::<S>());
            x = S::next(x);
        }
        // Far jumps: a(a + b) is a(a) stepped b times.
        let mut seed = 0x1234_5678_9abc_def1u64;
        for _ in 0..200 {
            let a = xorshift(&mut seed) >> 4;
            let b = xorshift(&mut seed) % 700;
            assert_eq!(
                S::starts(a + b),
                stepped::<S>(S::starts(a), b),
                "a={a} b={b}"
            );
        }
    }

    #[test]
    fn gf2_jump_ahead_matches_stepping() {
        starts_matches_stepping::<Gf2>();
    }

    #[test]
    fn lcg_jump_ahead_matches_stepping() {
        starts_matches_stepping::<Lcg>();
    }

    #[test]
    fn gf2_period() {
        // a(PERIOD) comes out of the polynomial algebra as a(0) again, and
        // HPCC's reduction maps n > PERIOD back into range.
        assert_eq!(Gf2::starts(PERIOD), 1);
        assert_eq!(Gf2::starts(PERIOD + 12345), Gf2::starts(12345));
        assert_ne!(Gf2::starts(PERIOD / 3), 1);
    }

    #[test]
    fn indexes_stay_in_the_table() {
        let mut seed = 99u64;
        for log in 0..63 {
            for _ in 0..50 {
                let x = xorshift(&mut seed);
                assert!(Gf2::index(x, log) < 1u64 << log);
                assert!(Lcg::index(x, log) < 1u64 << log);
            }
        }
        let x = 0xdead_beef_0123_4567u64;
        assert_eq!(Gf2::index(x, 12), x & 0xfff);
        assert_eq!(Lcg::index(x, 12), x >> 52);
        assert_eq!(Lcg::index(x, 0), 0);
    }
}
