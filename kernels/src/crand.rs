//! The C library's `rand()` as glibc implements it, which HPCC uses to
//! order its random rings, choose the Single-test rank and fill DGEMM's
//! matrices. Same seed, same sequence as the C library on Linux.

/// glibc's `RAND_MAX`.
pub const RAND_MAX: i32 = 2_147_483_647;

/// glibc's `rand()` after `srand(seed)`: the TYPE_3 additive feedback
/// generator (degree 31, separation 3) of `random_r.c`, which HPCC uses on
/// Linux to order its random rings. Same seed, same sequence as the C
/// library.
#[derive(Clone, Debug)]
pub struct CRand {
    state: [i32; 31],
    front: usize,
    rear: usize,
}

impl CRand {
    /// `srand(seed)`.
    pub fn new(seed: u32) -> Self {
        let seed = if seed == 0 { 1 } else { seed };
        let mut state = [0i32; 31];
        state[0] = seed as i32;
        let mut word = i64::from(seed as i32);
        for s in state.iter_mut().skip(1) {
            // state[i] = 16807 * state[i-1] % 2147483647 without overflow.
            let hi = word / 127_773;
            let lo = word % 127_773;
            word = 16_807 * lo - 2_836 * hi;
            if word < 0 {
                word += 2_147_483_647;
            }
            *s = word as i32;
        }
        let mut g = CRand {
            state,
            front: 3,
            rear: 0,
        };
        for _ in 0..310 {
            g.next_rand();
        }
        g
    }

    /// `rand()`: a value in `0..=RAND_MAX`.
    pub fn next_rand(&mut self) -> i32 {
        let val = (self.state[self.front] as u32).wrapping_add(self.state[self.rear] as u32);
        self.state[self.front] = val as i32;
        self.front += 1;
        self.rear += 1;
        if self.front >= 31 {
            self.front = 0;
        } else if self.rear >= 31 {
            self.rear = 0;
        }
        (val >> 1) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crand_matches_glibc() {
        // glibc: srand(1); rand() x5.
        let mut g = CRand::new(1);
        let v: Vec<i32> = (0..5).map(|_| g.next_rand()).collect();
        assert_eq!(
            v,
            [1804289383, 846930886, 1681692777, 1714636915, 1957747793]
        );
        // srand(0) is srand(1).
        assert_eq!(CRand::new(0).next_rand(), 1804289383);
        // glibc: srand(42); rand() x3; srand(1700000000); rand() x3.
        let mut g = CRand::new(42);
        let v: Vec<i32> = (0..3).map(|_| g.next_rand()).collect();
        assert_eq!(v, [71876166, 708592740, 1483128881]);
        let mut g = CRand::new(1_700_000_000);
        let v: Vec<i32> = (0..3).map(|_| g.next_rand()).collect();
        assert_eq!(v, [280491303, 626398474, 65378190]);
        // A seed above i32::MAX (time() after 2038 truncated to unsigned).
        let mut g = CRand::new(3_000_000_000);
        let v: Vec<i32> = (0..3).map(|_| g.next_rand()).collect();
        assert_eq!(v, [2058147116, 854483408, 922419988]);
    }
}
