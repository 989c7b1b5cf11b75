//! Buffers kept across panels for the row exchanges.
//!
//! Every panel's exchange needs buffers of up to `2 NB` rows by the local
//! trailing width; allocated afresh for each panel they cost a page fault
//! per page (`vec![0.0; n]` of that size is a fresh `mmap`), which the
//! 2x1 profile in `results/2026-11-24-vm-hpl-profile/` shows at 3-4%. The
//! trailing width only shrinks as the factorization proceeds, so buffers
//! given back after one panel serve the next ones without new pages and
//! without zeroing.

use std::cell::RefCell;

/// Buffers kept per thread at most.
const KEEP: usize = 8;

thread_local! {
    static POOL: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` values whose contents are unspecified (values left by
/// an earlier use, or zeros): for callers that write every value they read.
pub fn take(len: usize) -> Vec<f64> {
    let mut v = POOL.with(|p| {
        let mut p = p.borrow_mut();
        // The smallest that holds `len`, else the largest.
        let fits = p
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i);
        let pick = fits.or_else(|| {
            p.iter()
                .enumerate()
                .max_by_key(|(_, v)| v.capacity())
                .map(|(i, _)| i)
        });
        pick.map(|i| p.swap_remove(i)).unwrap_or_default()
    });
    if v.len() >= len {
        v.truncate(len);
    } else {
        v.resize(len, 0.0);
    }
    v
}

/// Give a buffer back for later [`take`]s.
pub fn give(v: Vec<f64>) {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < KEEP {
            p.push(v);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_the_smallest_buffer_that_fits() {
        let big = take(1000);
        let small = take(10);
        let (big_ptr, small_ptr) = (big.as_ptr(), small.as_ptr());
        give(big);
        give(small);
        let a = take(8);
        assert_eq!((a.len(), a.as_ptr()), (8, small_ptr));
        let b = take(500);
        assert_eq!((b.len(), b.as_ptr()), (500, big_ptr));
        // Nothing left that fits: the largest grows (here: a fresh one).
        let c = take(20);
        assert_eq!(c.len(), 20);
        give(a);
        give(b);
        give(c);
    }
}
