//! The one-process transform of SingleFFT and StarFFT (HPCC `FFT/tstfft.c`
//! calls FFTE's `zfft1d`): a plan made once, then out-of-place transforms
//! `input -> output` that need no allocation.
//!
//! With one thread the plan is rustfft's own for the whole length. With
//! several, and a length long enough to share, it is the six-step scheme of
//! [`super::sixstep`] on one process, whose batches of short rustfft
//! transforms run on the current rayon pool.

use std::sync::Arc;

use rustfft::Fft;

use super::sixstep::{Plan, Shape};
use super::{Complex64, FftDirection};

/// Shortest length split across threads.
pub const MIN_THREADED_LEN: usize = 1 << 14;

/// A planned transform of one length and direction.
pub struct LocalFft {
    kind: Kind,
    direction: FftDirection,
    len: usize,
}

enum Kind {
    /// rustfft's plan for the whole length.
    Direct {
        fft: Arc<dyn Fft<f64>>,
        scratch: Vec<Complex64>,
    },
    /// Six-step on one process.
    SixStep(Box<Plan>),
}

impl LocalFft {
    /// The plan the drivers use: rustfft's own with one thread or a short
    /// vector, the threaded six-step otherwise.
    pub fn new(n: usize, direction: FftDirection, threads: usize) -> Self {
        if threads > 1 && n >= MIN_THREADED_LEN {
            Self::six_step(n, direction, threads)
        } else {
            Self::direct(n, direction)
        }
    }

    /// rustfft's plan for length `n`.
    pub fn direct(n: usize, direction: FftDirection) -> Self {
        let fft = super::Planner::new(crate::isa::active()).plan_fft(n, direction);
        let scratch = vec![Complex64::default(); fft.get_outofplace_scratch_len()];
        LocalFft {
            kind: Kind::Direct { fft, scratch },
            direction,
            len: n,
        }
    }

    /// The six-step scheme on one process with `threads` workspaces.
    pub fn six_step(n: usize, direction: FftDirection, threads: usize) -> Self {
        let shape = Shape::new(n, 1).expect("one process always divides");
        LocalFft {
            kind: Kind::SixStep(Box::new(Plan::new(shape, 0, direction, threads))),
            direction,
            len: n,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Transform `input` into `output`; `input` is left scrambled. The
    /// inverse includes the `1 / n` scaling.
    pub fn process(&mut self, input: &mut [Complex64], output: &mut [Complex64]) {
        assert_eq!(input.len(), self.len);
        assert_eq!(output.len(), self.len);
        if self.len == 0 {
            return;
        }
        match &mut self.kind {
            Kind::Direct { fft, scratch } => {
                fft.process_outofplace_with_scratch(input, output, scratch);
                if self.direction == FftDirection::Inverse {
                    let s = 1.0 / self.len as f64;
                    for v in output.iter_mut() {
                        *v *= s;
                    }
                }
            }
            Kind::SixStep(plan) => plan.transform_local(input, output),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{dft, max_error, test_vector};
    use super::*;

    fn check(fft: &mut LocalFft, direction: FftDirection) {
        let n = fft.len();
        let x = test_vector(n, n as u64);
        let mut want = dft(&x, direction);
        if direction == FftDirection::Inverse {
            want.iter_mut().for_each(|v| *v /= n as f64);
        }
        let mut input = x.clone();
        let mut out = vec![Complex64::default(); n];
        fft.process(&mut input, &mut out);
        let err = max_error(&out, &want);
        // Entries of x are below sqrt(2), so |X[k]| < n sqrt(2).
        let tol = 1e-14 * (n as f64).sqrt() * (n as f64).log2().max(1.0);
        assert!(err < tol, "n={n} {direction:?}: error {err} tol {tol}");
    }

    #[test]
    fn direct_matches_the_dft_at_small_sizes_including_non_powers_of_two() {
        for n in [
            1usize, 2, 3, 4, 5, 6, 7, 8, 12, 15, 16, 17, 30, 64, 97, 100, 128, 243, 256,
        ] {
            for d in [FftDirection::Forward, FftDirection::Inverse] {
                check(&mut LocalFft::direct(n, d), d);
            }
        }
    }

    #[test]
    fn six_step_matches_the_dft_on_one_and_several_threads() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for n in [1usize, 2, 4, 6, 12, 64, 90, 256, 1024] {
            for d in [FftDirection::Forward, FftDirection::Inverse] {
                check(&mut LocalFft::six_step(n, d, 1), d);
                pool.install(|| check(&mut LocalFft::six_step(n, d, 3), d));
            }
        }
    }

    #[test]
    fn round_trip_restores_the_input_within_hpcc_bound() {
        let n = 1 << 12;
        let x = test_vector(n, 0);
        for threads in [1, 2] {
            let mut fwd = LocalFft::six_step(n, FftDirection::Forward, threads);
            let mut inv = LocalFft::direct(n, FftDirection::Inverse);
            let (mut a, mut b) = (x.clone(), vec![Complex64::default(); n]);
            fwd.process(&mut a, &mut b);
            inv.process(&mut b, &mut a);
            let e = super::super::scaled_error(max_error(&a, &x), n);
            assert!(e < 16.0, "scaled error {e}");
        }
    }

    #[test]
    fn new_picks_the_threaded_plan_only_when_worth_it() {
        let is_six = |f: &LocalFft| matches!(f.kind, Kind::SixStep(_));
        assert!(!is_six(&LocalFft::new(1 << 20, FftDirection::Forward, 1)));
        assert!(!is_six(&LocalFft::new(1024, FftDirection::Forward, 4)));
        assert!(is_six(&LocalFft::new(
            MIN_THREADED_LEN,
            FftDirection::Forward,
            2
        )));
    }
}
