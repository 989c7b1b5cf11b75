//! The distributed transpose `C <- A^T + C` (PUMMA's `PDTRANS` as HPCC's
//! `PTRANS/pdtrans.c` runs it), on a grid communicator whose rank `k` is
//! process `(k / Q, k % Q)`.
//!
//! How it maps to HPCC's code: PDTRANS loops over `k2 < lcm/P` and `j1 <
//! lcm/Q`; in each step it copies one LCM class of its `A` transposed into
//! a work buffer (`dtr2bf_`), exchanges buffers with one partner to send to
//! and one to receive from (`Cblacs_dSendrecv`, an `MPI_Sendrecv`), and
//! adds the received buffer into `C` (`dmv2mx_`); the class a process keeps
//! is added to `C` directly (`dtr2mx_`). Here the same steps run in the
//! same order with the same partners ([`rhpcc_kernels::ptrans::classes`]),
//! each a plain `MPI_Sendrecv` of a contiguous buffer (in pieces of at most
//! 12.5 M doubles, as `Cblacs_dSendrecv`), with the tiled kernels of
//! [`rhpcc_kernels::ptrans::transpose`]. The buffers and the maps between
//! local storage and buffers are prepared before the timed call
//! ([`Plan`], [`Workspace`]).
//!
//! One difference in the bytes on the wire: PDTRANS sends every message at
//! its work buffer's full size, `ceil(ceil(M/MB)/L) MB x ceil(ceil(N/NB)/L)
//! NB` doubles (`L = lcm(P, Q)`), padding included; here a message holds
//! exactly its class's entries ([`Plan::padded_doubles`] gives PDTRANS's
//! count for comparison).

use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use rhpcc_kernels::ptrans::classes::{schedule, ClassMap, Piece, Problem};
use rhpcc_kernels::ptrans::transpose::{add_pieces, transpose_pieces, Mode};

/// Largest message piece, doubles (`maxpayload` in `Cblacs_dSendrecv`).
const CHUNK: usize = 12_500_000;

/// One step of the transpose on this process.
enum Step {
    /// Add the class this process keeps into `C`: local rows of `A` to
    /// local columns of `C`, local columns of `A` to local rows of `C`.
    Keep { rows: Vec<Piece>, cols: Vec<Piece> },
    /// Send a class to grid rank `dest`, receive one from grid rank
    /// `source`.
    Exchange {
        dest: i32,
        source: i32,
        send: ClassMap,
        receive: ClassMap,
    },
}

/// Everything a process needs to run the transpose, worked out before the
/// timing starts.
pub struct Plan {
    steps: Vec<Step>,
    /// Longest buffer sent and received, doubles.
    pub send_max: usize,
    pub receive_max: usize,
    /// Doubles this process sends in all.
    pub sent_doubles: usize,
    /// Doubles PDTRANS would send from this process (padded messages).
    pub padded_doubles: usize,
}

impl Plan {
    /// The plan of process `me` for `problem`.
    pub fn new(problem: &Problem, me: (usize, usize)) -> Plan {
        let q = problem.q;
        let rank = |(r, c): (usize, usize)| (r * q + c) as i32;
        let l = rhpcc_kernels::ptrans::classes::lcm(problem.p, problem.q);
        let padded = problem.a_rows().blocks().div_ceil(l)
            * problem.mb
            * problem.a_cols().blocks().div_ceil(l)
            * problem.nb;
        let mut plan = Plan {
            steps: Vec::new(),
            send_max: 0,
            receive_max: 0,
            sent_doubles: 0,
            padded_doubles: 0,
        };
        for s in schedule(problem.p, problem.q, me.0, me.1) {
            if s.dest == me {
                let (rows, cols) = problem.keep(me);
                plan.steps.push(Step::Keep { rows, cols });
            } else {
                let send = problem.send(me, s.dest);
                let receive = problem.receive(me, s.source);
                plan.send_max = plan.send_max.max(send.len());
                plan.receive_max = plan.receive_max.max(receive.len());
                plan.sent_doubles += send.len();
                plan.padded_doubles += padded;
                plan.steps.push(Step::Exchange {
                    dest: rank(s.dest),
                    source: rank(s.source),
                    send,
                    receive,
                });
            }
        }
        plan
    }
}

/// Message buffers, kept from case to case. Grown buffers are written once
/// at once, so that no page is first touched inside the timing.
#[derive(Default)]
pub struct Workspace {
    send: Vec<f64>,
    receive: Vec<f64>,
}

impl Workspace {
    /// Make room for `plan`'s messages.
    pub fn reserve(&mut self, plan: &Plan) {
        for (buf, len) in [
            (&mut self.send, plan.send_max),
            (&mut self.receive, plan.receive_max),
        ] {
            if buf.len() < len {
                *buf = vec![1.0; len];
            }
        }
    }
}

/// `C <- A^T + C` on the grid `comm` (collective over it). `a` is the local
/// `A` with leading dimension `lda`, `c` the local `C` with `ldc`; `ws`
/// must have been [`Workspace::reserve`]d for `plan`.
pub fn transpose(
    comm: &SimpleCommunicator,
    plan: &Plan,
    a: &[f64],
    lda: usize,
    c: &mut [f64],
    ldc: usize,
    ws: &mut Workspace,
) {
    for step in &plan.steps {
        match step {
            Step::Keep { rows, cols } => {
                transpose_pieces(a, lda, rows, cols, c, ldc, Mode::Add);
            }
            Step::Exchange {
                dest,
                source,
                send,
                receive,
            } => {
                let out = &mut ws.send[..send.len()];
                transpose_pieces(
                    a,
                    lda,
                    &send.rows,
                    &send.cols,
                    out,
                    send.t_rows,
                    Mode::Assign,
                );
                let inb = &mut ws.receive[..receive.len()];
                sendrecv(comm, out, *dest, inb, *source);
                add_pieces(inb, receive.t_rows, &receive.rows, &receive.cols, c, ldc);
            }
        }
    }
}

/// `MPI_Sendrecv` of `out` to `dest` and `inb` from `source`, in pieces of
/// at most [`CHUNK`] doubles (both sides know both lengths).
fn sendrecv(comm: &SimpleCommunicator, out: &[f64], dest: i32, inb: &mut [f64], source: i32) {
    let (to, from) = (comm.process_at_rank(dest), comm.process_at_rank(source));
    let pieces = out.len().max(inb.len()).div_ceil(CHUNK).max(1);
    for k in 0..pieces {
        let range = |len: usize| (k * CHUNK).min(len)..((k + 1) * CHUNK).min(len);
        let (so, si) = (range(out.len()), range(inb.len()));
        mpi::point_to_point::send_receive_into(&out[so], &to, &mut inb[si], &from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's PTRANS case (N=4000, NB=192, 1 x 2): 21 block rows,
    /// one LCM class of 10 or 11 blocks each way. Each process sends one
    /// 1920 x 2080 class; PDTRANS pads it to 2112 x 2112.
    #[test]
    fn message_sizes_of_the_reference_case() {
        let pr = Problem {
            m: 4000,
            n: 4000,
            mb: 192,
            nb: 192,
            p: 1,
            q: 2,
        };
        for me in [(0, 0), (0, 1)] {
            let plan = Plan::new(&pr, me);
            assert_eq!(plan.steps.len(), 2);
            assert_eq!(plan.sent_doubles, 1920 * 2080);
            assert_eq!(plan.padded_doubles, 2112 * 2112);
            assert_eq!(plan.send_max, 1920 * 2080);
            assert_eq!(plan.receive_max, 1920 * 2080);
        }
        // 1 x 1: nothing to send, one class kept.
        let plan = Plan::new(&Problem { q: 1, ..pr }, (0, 0));
        assert_eq!((plan.steps.len(), plan.sent_doubles), (1, 0));
    }
}
