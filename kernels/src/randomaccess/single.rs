//! The single-process RandomAccess update (HPCC's `core_single_cpu.c` and
//! `core_single_cpu_lcg.c`) and its verification replay.
//!
//! A table of `T = 2^t` words gets `4 T` updates `table[index(a)] ^= a`
//! for the stream values `a(1) .. a(4T)`. HPCC splits the stream into 128
//! lanes, lane `j` applying `a(jK+1) .. a((j+1)K)` with `K = 4T / 128` and
//! starting from `starts(jK)`; each iteration steps every lane once and
//! applies its update. Since `^=` commutes, the result is the table the
//! sequential stream would give, which [`replay`] applies again: every word
//! then holds its initial value unless an update was lost.
//!
//! rhpcc pipelines the lanes: while applying one iteration's 128 updates it
//! already steps the lanes and prefetches the next iteration's 128 words,
//! so 128 updates are in flight ahead (HPCC's rules allow a look-ahead of
//! up to 1024). The update order is HPCC's.

use super::stream::Stream;
use crate::isa::{self, Simd};

/// Lanes of the interleaved update (HPCC's `ran[128]`).
pub const LANES: usize = 128;

/// Hint that `table[i]` will be read and written soon.
#[inline(always)]
fn prefetch_for_write(table: &[u64], i: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_ET0};
        // SAFETY: a prefetch never faults and does not access memory
        // architecturally; the address is within `table` anyway.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_ET0>(table.as_ptr().wrapping_add(i) as *const i8)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (table, i);
}

/// Apply HPCC's `4 * table.len()` updates of stream `S` in 128 lanes, at
/// the level [`isa::active`] names.
///
/// # Panics
/// If the table length is not a power of two.
pub fn update<S: Stream>(table: &mut [u64]) {
    update_at::<S>(isa::active(), table)
}

/// [`update`] at the level `simd`: stepping the 128 lanes vectorizes (four
/// lanes at a time with AVX2, whose 64-bit compare GF(2)'s step needs; the
/// x86-64 baseline has none), the table updates stay scalar.
pub fn update_at<S: Stream>(simd: Simd, table: &mut [u64]) {
    match simd.isa() {
        // SAFETY: a `Simd` is only made for levels the CPU supports.
        #[cfg(target_arch = "x86_64")]
        isa::Isa::Avx512 => unsafe { update_avx512::<S>(table) },
        #[cfg(target_arch = "x86_64")]
        isa::Isa::Avx2 => unsafe { update_avx2::<S>(table) },
        _ => update_body::<S>(table),
    }
}

/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn update_avx512<S: Stream>(table: &mut [u64]) {
    update_body::<S>(table)
}

/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn update_avx2<S: Stream>(table: &mut [u64]) {
    update_body::<S>(table)
}

#[inline(always)]
fn update_body<S: Stream>(table: &mut [u64]) {
    let n = table.len();
    assert!(n.is_power_of_two(), "table of {n} words");
    let log = n.trailing_zeros();
    let nupdate = 4 * n as u64;
    // Tables below 32 words have fewer than 128 updates: one lane each.
    let lanes = LANES.min(nupdate as usize);
    let per_lane = nupdate / lanes as u64;
    let mut cur = [0u64; LANES];
    let mut next = [0u64; LANES];
    for (j, c) in cur[..lanes].iter_mut().enumerate() {
        *c = S::next(S::starts(per_lane * j as u64));
    }
    let (mut cur, mut next) = (&mut cur, &mut next);
    for it in 0..per_lane {
        if it + 1 < per_lane {
            for (nx, &c) in next[..lanes].iter_mut().zip(cur[..lanes].iter()) {
                *nx = S::next(c);
                prefetch_for_write(table, S::index(*nx, log) as usize);
            }
        }
        for &v in &cur[..lanes] {
            let i = S::index(v, log) as usize;
            // SAFETY: `index` is below 2^log = table.len().
            unsafe { *table.get_unchecked_mut(i) ^= v };
        }
        std::mem::swap(&mut cur, &mut next);
    }
}

/// Apply the first `updates` values of stream `S`, one after the other
/// (HPCC's verification of the single-process tests).
///
/// # Panics
/// If the table length is not a power of two.
pub fn replay<S: Stream>(table: &mut [u64], updates: u64) {
    let n = table.len();
    assert!(n.is_power_of_two(), "table of {n} words");
    let log = n.trailing_zeros();
    let mut a = 1u64;
    for _ in 0..updates {
        a = S::next(a);
        let i = S::index(a, log) as usize;
        // SAFETY: `index` is below 2^log = table.len().
        unsafe { *table.get_unchecked_mut(i) ^= a };
    }
}

#[cfg(test)]
mod tests {
    use super::super::stream::{Gf2, Lcg};
    use super::super::{count_errors, init_table};
    use super::*;

    fn lanes_cover_the_sequential_stream<S: Stream>() {
        for log in [0u32, 1, 3, 5, 6, 10, 13] {
            let n = 1usize << log;
            let mut t = init_table(n, 0);
            update::<S>(&mut t);
            // The sequential stream's updates applied to a fresh table give
            // the same table, at every level.
            let mut seq = init_table(n, 0);
            replay::<S>(&mut seq, 4 * n as u64);
            assert_eq!(t, seq, "log {log}");
            for simd in Simd::all_supported() {
                let mut at = init_table(n, 0);
                update_at::<S>(simd, &mut at);
                assert_eq!(at, seq, "log {log} {simd:?}");
            }
            if log >= 10 {
                let e = count_errors(&t, 0);
                assert!(e > n as u64 / 4, "updates changed the table: {e} of {n}");
            }
            // And replaying undoes it.
            replay::<S>(&mut t, 4 * n as u64);
            assert_eq!(count_errors(&t, 0), 0, "log {log}");
        }
    }

    #[test]
    fn gf2_lanes_cover_the_sequential_stream() {
        lanes_cover_the_sequential_stream::<Gf2>();
    }

    #[test]
    fn lcg_lanes_cover_the_sequential_stream() {
        lanes_cover_the_sequential_stream::<Lcg>();
    }

    fn injected_errors_are_counted<S: Stream>() {
        let n = 1usize << 12;
        let mut t = init_table(n, 0);
        update::<S>(&mut t);
        // Lose some updates: undo the last 7 updates of the stream's first
        // 1000 (they hit distinct words unless two share one).
        let mut a = S::starts(993);
        let mut hit = std::collections::BTreeSet::new();
        for _ in 0..7 {
            a = S::next(a);
            let i = S::index(a, 12) as usize;
            t[i] ^= a;
            hit.insert(i);
        }
        replay::<S>(&mut t, 4 * n as u64);
        assert_eq!(count_errors(&t, 0), hit.len() as u64);
        assert!(hit.len() >= 5);
    }

    #[test]
    fn gf2_lost_updates_are_counted() {
        injected_errors_are_counted::<Gf2>();
    }

    #[test]
    fn lcg_lost_updates_are_counted() {
        injected_errors_are_counted::<Lcg>();
    }
}
