//! The delay line and the loss draw: what the relay does to frames between
//! receiving and sending them, with no sockets involved.
//!
//! Every frame is due its arrival time plus the one delay, so arrival order
//! is due order: a FIFO queue holds them and the sender sleeps until the
//! head is due (netem without jitter behaves the same: no reordering).

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Frames waiting for their due time, oldest first.
pub struct DelayLine {
    delay: Duration,
    limit_bytes: usize,
    state: Mutex<Waiting>,
    arrived: Condvar,
}

#[derive(Default)]
struct Waiting {
    frames: VecDeque<(Instant, Vec<u8>)>,
    bytes: usize,
}

impl DelayLine {
    pub fn new(delay: Duration, limit_bytes: usize) -> Self {
        DelayLine {
            delay,
            limit_bytes,
            state: Mutex::new(Waiting::default()),
            arrived: Condvar::new(),
        }
    }

    /// Queues `frame`, received at `arrived`; gives it back when the line
    /// already holds `limit_bytes` with it (a frame alone is always taken).
    pub fn push(&self, arrived: Instant, frame: Vec<u8>) -> Result<(), Vec<u8>> {
        let mut w = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !w.frames.is_empty() && w.bytes + frame.len() > self.limit_bytes {
            return Err(frame);
        }
        w.bytes += frame.len();
        w.frames.push_back((arrived + self.delay, frame));
        drop(w);
        self.arrived.notify_one();
        Ok(())
    }

    /// The oldest frame and its due time, waiting for one if none is queued.
    pub fn pop(&self) -> (Instant, Vec<u8>) {
        let mut w = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some((due, frame)) = w.frames.pop_front() {
                w.bytes -= frame.len();
                return (due, frame);
            }
            w = self.arrived.wait(w).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Frames and bytes waiting.
    pub fn len(&self) -> (usize, usize) {
        let w = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (w.frames.len(), w.bytes)
    }

    pub fn is_empty(&self) -> bool {
        self.len().0 == 0
    }
}

/// Sleeps until `due` (at once when it has passed).
pub fn sleep_until(due: Instant) {
    let now = Instant::now();
    if due > now {
        std::thread::sleep(due - now);
    }
}

/// Independent losses with one probability, drawn with xorshift64*
/// (Vigna 2016): quality enough for a loss rate, and no dependency.
pub struct Loss {
    probability: f64,
    state: u64,
}

impl Loss {
    /// `seed` 0 is replaced, xorshift's state must not be 0.
    pub fn new(probability: f64, seed: u64) -> Self {
        Loss {
            probability,
            state: if seed == 0 {
                0x9e37_79b9_7f4a_7c15
            } else {
                seed
            },
        }
    }

    /// Whether the next frame is lost.
    pub fn drops(&mut self) -> bool {
        if self.probability <= 0.0 {
            return false;
        }
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let draw = self.state.wrapping_mul(0x2545_f491_4f6c_dd1d);
        // The top 53 bits as a uniform number in [0, 1).
        ((draw >> 11) as f64 / (1u64 << 53) as f64) < self.probability
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn frames_leave_in_order_due_one_delay_after_arrival() {
        let delay = Duration::from_millis(3);
        let line = DelayLine::new(delay, 1 << 20);
        let t0 = Instant::now();
        let arrivals = [0u64, 0, 5, 7, 100];
        for (i, &us) in arrivals.iter().enumerate() {
            line.push(t0 + Duration::from_micros(us), vec![i as u8; i + 1])
                .unwrap();
        }
        assert_eq!(line.len(), (5, 1 + 2 + 3 + 4 + 5));
        for (i, &us) in arrivals.iter().enumerate() {
            let (due, frame) = line.pop();
            assert_eq!(due, t0 + Duration::from_micros(us) + delay);
            assert_eq!(frame, vec![i as u8; i + 1]);
        }
        assert!(line.is_empty());
        assert_eq!(line.len(), (0, 0));
    }

    #[test]
    fn a_full_line_gives_frames_back() {
        let line = DelayLine::new(Duration::from_millis(1), 100);
        let now = Instant::now();
        line.push(now, vec![0; 60]).unwrap();
        line.push(now, vec![1; 40]).unwrap();
        assert_eq!(line.push(now, vec![2; 1]), Err(vec![2; 1]));
        line.pop();
        line.push(now, vec![3; 60]).unwrap();
        assert_eq!(line.len(), (2, 100));
        // A frame larger than the limit still passes an empty line.
        let small = DelayLine::new(Duration::ZERO, 10);
        small.push(now, vec![0; 11]).unwrap();
        assert_eq!(small.push(now, vec![0; 1]), Err(vec![0; 1]));
    }

    #[test]
    fn pop_waits_for_a_frame_and_sleep_until_waits_for_its_due_time() {
        let delay = Duration::from_millis(20);
        let line = Arc::new(DelayLine::new(delay, 1 << 20));
        let producer = {
            let line = Arc::clone(&line);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(10));
                let sent = Instant::now();
                line.push(sent, b"frame".to_vec()).unwrap();
                sent
            })
        };
        let (due, frame) = line.pop();
        let sent = producer.join().unwrap();
        assert_eq!((due, frame.as_slice()), (sent + delay, &b"frame"[..]));
        sleep_until(due);
        // Only a lower bound: a loaded machine may sleep longer.
        assert!(sent.elapsed() >= delay);
        let before = Instant::now();
        sleep_until(before - Duration::from_millis(1));
        assert!(before.elapsed() < Duration::from_millis(1000));
    }

    #[test]
    fn loss_rates() {
        let count = |p: f64, seed: u64| {
            let mut loss = Loss::new(p, seed);
            (0..100_000).filter(|_| loss.drops()).count()
        };
        assert_eq!(count(0.0, 1), 0);
        assert_eq!(count(1.0, 1), 100_000);
        // Seeded, so exact; each count lands within 4 binomial standard
        // deviations of its expectation.
        for (p, seed) in [(0.2, 1), (0.2, 0), (0.2, 0xdead_beef), (0.01, 7)] {
            let (n, lost) = (100_000.0, count(p, seed) as f64);
            let sigma = (n * p * (1.0 - p)).sqrt();
            assert!((lost - n * p).abs() < 4.0 * sigma, "p {p}: {lost} lost");
        }
        // Different seeds, different draws.
        let draws = |seed| {
            let mut loss = Loss::new(0.5, seed);
            (0..64).map(|_| loss.drops()).collect::<Vec<_>>()
        };
        assert_ne!(draws(1), draws(2));
    }
}
