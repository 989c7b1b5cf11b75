//! MPIRandomAccess's send buckets (HPCC's `buckets.c` and `heap.c`): the
//! updates waiting to go to each rank, and a max-heap of the ranks keyed by
//! how many are waiting, so that the fullest bucket is sent first.
//!
//! HPCC keeps each bucket as a linked list of pool objects; here a bucket
//! is a `Vec`, and [`Buckets::take_largest`] swaps it with the caller's send
//! buffer instead of copying it. The heap is HPCC's: insert, increment a
//! key, extract the maximum, each O(log ranks).

/// Marks a rank that is not in the heap.
const NOT_IN_HEAP: u32 = u32::MAX;

/// Pending updates per destination rank.
#[derive(Clone, Debug)]
pub struct Buckets {
    lists: Vec<Vec<u64>>,
    /// Heap of ranks with a non-empty bucket, by bucket length.
    heap: Vec<u32>,
    /// Where each rank sits in `heap`, or [`NOT_IN_HEAP`].
    pos: Vec<u32>,
    pending: usize,
}

impl Buckets {
    pub fn new(ranks: usize) -> Self {
        Buckets {
            lists: vec![Vec::new(); ranks],
            heap: Vec::with_capacity(ranks),
            pos: vec![NOT_IN_HEAP; ranks],
            pending: 0,
        }
    }

    /// Updates waiting in all buckets.
    #[inline]
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Queue `value` for rank `pe`.
    #[inline]
    pub fn insert(&mut self, pe: usize, value: u64) {
        self.lists[pe].push(value);
        self.pending += 1;
        let at = if self.pos[pe] == NOT_IN_HEAP {
            self.heap.push(pe as u32);
            self.heap.len() - 1
        } else {
            self.pos[pe] as usize
        };
        self.sift_up(at, pe);
    }

    /// Move the fullest bucket into `out` (replacing its contents; `out`'s
    /// allocation becomes the bucket's) and return its rank; `None` when no
    /// update is pending.
    pub fn take_largest(&mut self, out: &mut Vec<u64>) -> Option<usize> {
        let &top = self.heap.first()?;
        let pe = top as usize;
        let last = self.heap.pop().expect("heap is not empty");
        self.pos[pe] = NOT_IN_HEAP;
        if last != top {
            self.sift_down(0, last as usize);
        }
        out.clear();
        std::mem::swap(out, &mut self.lists[pe]);
        self.pending -= out.len();
        Some(pe)
    }

    fn key(&self, pe: u32) -> usize {
        self.lists[pe as usize].len()
    }

    /// Place `pe` (whose key grew) at `at` or above.
    fn sift_up(&mut self, mut at: usize, pe: usize) {
        let key = self.lists[pe].len();
        while at > 0 {
            let parent = (at - 1) / 2;
            let p = self.heap[parent];
            if self.key(p) >= key {
                break;
            }
            self.heap[at] = p;
            self.pos[p as usize] = at as u32;
            at = parent;
        }
        self.heap[at] = pe as u32;
        self.pos[pe] = at as u32;
    }

    /// Place `pe` at `at` or below.
    fn sift_down(&mut self, mut at: usize, pe: usize) {
        let key = self.lists[pe].len();
        let n = self.heap.len();
        loop {
            let mut child = 2 * at + 1;
            if child >= n {
                break;
            }
            if child + 1 < n && self.key(self.heap[child + 1]) > self.key(self.heap[child]) {
                child += 1;
            }
            let c = self.heap[child];
            if key >= self.key(c) {
                break;
            }
            self.heap[at] = c;
            self.pos[c as usize] = at as u32;
            at = child;
        }
        self.heap[at] = pe as u32;
        self.pos[pe] = at as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_fullest_bucket_with_its_updates_in_order() {
        // A naive model: per-rank lists, the largest found by scanning.
        let ranks = 13;
        let mut b = Buckets::new(ranks);
        let mut model: Vec<Vec<u64>> = vec![Vec::new(); ranks];
        let mut out = Vec::new();
        let mut state = 7u64;
        for step in 0..20_000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Skewed destinations, so bucket sizes differ.
            let r = (state >> 33) % 100;
            let pe = if r < 40 {
                3
            } else {
                (r % ranks as u64) as usize
            };
            if (state >> 20).is_multiple_of(5) {
                let max = model.iter().map(Vec::len).max().unwrap();
                match b.take_largest(&mut out) {
                    None => assert_eq!(max, 0),
                    Some(got) => {
                        assert_eq!(model[got].len(), max, "step {step}: not the fullest");
                        assert_eq!(out, model[got]);
                        model[got].clear();
                    }
                }
            } else {
                b.insert(pe, step);
                model[pe].push(step);
            }
            assert_eq!(b.pending(), model.iter().map(Vec::len).sum::<usize>());
        }
        // Drain: every update comes out exactly once.
        while let Some(pe) = b.take_largest(&mut out) {
            assert_eq!(out, model[pe]);
            model[pe].clear();
        }
        assert!(model.iter().all(Vec::is_empty));
        assert_eq!(b.pending(), 0);
    }
}
