//! HPCC's RandomAccess (GUPS) kernels: the address streams, table sizes
//! and distribution, the single-process update and its verification, and
//! MPIRandomAccess's send buckets. The MPI driver is `rhpcc::randomaccess`.
//!
//! Every table word starts as its global index; an update is
//! `table[index(a)] ^= a` for a stream value `a`. Applying the same updates
//! a second time restores every word, so HPCC verifies by replaying the
//! stream and counting words that differ from their index ([`count_errors`]);
//! a run passes when at most 1% of the table is wrong.

pub mod buckets;
pub mod single;
pub mod stream;
pub mod table;

pub use stream::{Gf2, Lcg, Stream};
pub use table::{AnyLayout, Distribution, Layout, Pow2Layout};

/// A table of `len` words whose word `i` holds `start + i` (HPCC's
/// initialization, `start` being the first global index held).
pub fn init_table(len: usize, start: u64) -> Vec<u64> {
    (start..start + len as u64).collect()
}

/// Reset `table` to HPCC's initial contents.
pub fn reset_table(table: &mut [u64], start: u64) {
    for (i, t) in table.iter_mut().enumerate() {
        *t = start + i as u64;
    }
}

/// Words of `table` that differ from their initial value `start + i`.
pub fn count_errors(table: &[u64], start: u64) -> u64 {
    table
        .iter()
        .enumerate()
        .filter(|&(i, &t)| t != start + i as u64)
        .count() as u64
}

/// Apply updates that arrived from other ranks (or this one): each value
/// `a` goes to `table[layout.local(index(a))]`.
///
/// # Panics
/// If a value's index is not held by this rank.
#[inline]
pub fn apply<S: Stream, L: Layout>(table: &mut [u64], values: &[u64], log_size: u32, layout: L) {
    for &a in values {
        table[layout.local(S::index(a, log_size))] ^= a;
    }
}

/// HPCC's pass rule: at most 1% of the table's words may be wrong.
pub fn passes(errors: u64, table_size: u64) -> bool {
    errors as f64 <= 0.01 * table_size as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_pass_rule() {
        let mut t = init_table(1000, 5000);
        assert_eq!(t[999], 5999);
        assert_eq!(count_errors(&t, 5000), 0);
        t[3] ^= 1;
        t[700] = 0;
        assert_eq!(count_errors(&t, 5000), 2);
        reset_table(&mut t, 5000);
        assert_eq!(count_errors(&t, 5000), 0);
        assert!(passes(10, 1000));
        assert!(!passes(11, 1000));
        assert!(passes(0, 1));
    }

    #[test]
    fn apply_inverts_itself() {
        let d = Distribution::new(10, 3);
        let rank = 1;
        let layout = AnyLayout::new(&d, rank);
        let start = d.start(rank);
        let mut t = init_table(d.local_size(rank) as usize, start);
        // Values whose GF(2) index falls in rank 1's part.
        let values: Vec<u64> = (0..1u64 << 14)
            .map(Gf2::starts)
            .filter(|&a| d.owner(Gf2::index(a, 10)) == rank)
            .take(500)
            .collect();
        apply::<Gf2, _>(&mut t, &values, 10, layout);
        assert!(count_errors(&t, start) > 0);
        apply::<Gf2, _>(&mut t, &values, 10, layout);
        assert_eq!(count_errors(&t, start), 0);
    }
}
