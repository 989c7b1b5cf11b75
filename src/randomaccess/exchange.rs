//! The non-blocking messages of MPIRandomAccess's update loop (HPCC's
//! `MPIRandomAccess.c` with `USE_MULTIPLE_RECV`): receives posted in advance
//! from any rank with any tag (one, or four with more than four ranks),
//! one send in flight at a time, updates sent with [`UPDATE_TAG`] and a
//! zero-length [`FINISHED_TAG`] message to every other rank when a rank has
//! sent all its updates.
//!
//! MPI's immediate operations write into their buffers until they complete,
//! which rsmpi's safe API ties to a scope; here the requests outlive any
//! one scope (receives are re-posted as messages arrive), so this module
//! calls MPI directly and owns every buffer an active request uses. Safety
//! rests on two rules kept inside this module: a buffer is touched only
//! after its request completed (or was cancelled and waited for), and an
//! `Exchange` that is dropped with requests still active leaks its buffers
//! rather than freeing memory MPI may still write.
//!
//! One addition to HPCC: after the last FINISHED message arrives, HPCC
//! cancels its posted receives; with several receives posted, one of them
//! may already hold an update that was matched before that FINISHED message
//! (MPI reports completions in any order), which HPCC then drops. Here a
//! receive whose cancellation fails is applied like any other message.

use std::os::raw::{c_int, c_void};

use mpi::ffi;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use rhpcc_kernels::randomaccess::buckets::Buckets;

/// Tag of the message that says a rank has sent all its updates.
pub const FINISHED_TAG: c_int = 1;
/// Tag of a message of updates.
pub const UPDATE_TAG: c_int = 2;
/// Longest message, in updates (`LOCAL_BUFFER_SIZE`).
pub const BUFFER: usize = 1024;

/// Posted receives, send buffer and requests of one update loop.
pub struct Exchange<'c> {
    comm: &'c SimpleCommunicator,
    rank: usize,
    /// `recv_req.len()` buffers of [`BUFFER`] words.
    recv_buf: Vec<u64>,
    recv_req: Vec<ffi::MPI_Request>,
    /// What the send in flight (if any) reads.
    send_buf: Vec<u64>,
    send_req: ffi::MPI_Request,
    finish_req: Vec<ffi::MPI_Request>,
    /// Source of the zero-length FINISHED messages.
    finish_word: Box<u64>,
    /// Ranks that have not yet said they finished (`NumberReceiving`).
    receiving: usize,
    /// Whether requests may still be active (false once `finish` is done).
    active: bool,
}

fn request_null() -> ffi::MPI_Request {
    // SAFETY: reading an MPI predefined handle after MPI_Init.
    unsafe { ffi::RSMPI_REQUEST_NULL }
}

fn empty_status() -> ffi::MPI_Status {
    // SAFETY: MPI_Status is a plain C struct; all zeros is a valid value.
    unsafe { std::mem::zeroed() }
}

impl<'c> Exchange<'c> {
    /// Post the receives (HPCC's `NumRecvs`: 4 with more than 4 ranks,
    /// else 1).
    pub fn new(comm: &'c SimpleCommunicator) -> Self {
        let procs = comm.size() as usize;
        let nrecv = if procs > 4 { 4 } else { 1 };
        let mut ex = Exchange {
            comm,
            rank: comm.rank() as usize,
            recv_buf: vec![0u64; nrecv * BUFFER],
            recv_req: vec![request_null(); nrecv],
            send_buf: Vec::with_capacity(BUFFER),
            send_req: request_null(),
            finish_req: vec![request_null(); procs],
            finish_word: Box::new(0),
            receiving: procs - 1,
            active: true,
        };
        for i in 0..nrecv {
            ex.post_receive(i);
        }
        ex
    }

    fn post_receive(&mut self, i: usize) {
        let buf = self.recv_buf[i * BUFFER..(i + 1) * BUFFER].as_mut_ptr();
        // SAFETY: the buffer belongs to `self` and is not touched until the
        // request completes or is cancelled and waited for.
        unsafe {
            ffi::MPI_Irecv(
                buf as *mut c_void,
                BUFFER as c_int,
                ffi::RSMPI_UINT64_T,
                ffi::RSMPI_ANY_SOURCE,
                ffi::RSMPI_ANY_TAG,
                self.comm.as_raw(),
                &mut self.recv_req[i],
            );
        }
    }

    /// Act on the completed receive `i` with `status`, then post it again.
    fn handle(&mut self, i: usize, status: &ffi::MPI_Status, on_updates: &mut impl FnMut(&[u64])) {
        match status.MPI_TAG {
            UPDATE_TAG => {
                let mut count: c_int = 0;
                // SAFETY: `status` is the completed receive's status.
                unsafe { ffi::MPI_Get_count(status, ffi::RSMPI_UINT64_T, &mut count) };
                let n = usize::try_from(count).expect("message count").min(BUFFER);
                on_updates(&self.recv_buf[i * BUFFER..i * BUFFER + n]);
            }
            FINISHED_TAG => self.receiving -= 1,
            tag => panic!("MPIRandomAccess: message with unexpected tag {tag}"),
        }
        self.post_receive(i);
    }

    /// HPCC's receive loop: handle every message that has already arrived,
    /// passing updates to `on_updates`, until none is waiting or every
    /// other rank has finished.
    #[inline]
    pub fn poll(&mut self, mut on_updates: impl FnMut(&[u64])) {
        while self.receiving > 0 {
            let mut index: c_int = 0;
            let mut flag: c_int = 0;
            let mut status = empty_status();
            // SAFETY: the requests are owned by `self` and valid handles.
            unsafe {
                ffi::MPI_Testany(
                    self.recv_req.len() as c_int,
                    self.recv_req.as_mut_ptr(),
                    &mut index,
                    &mut flag,
                    &mut status,
                );
            }
            if flag == 0 {
                return;
            }
            self.handle(index as usize, &status, &mut on_updates);
        }
    }

    /// If no send is in flight, send the fullest bucket (HPCC's
    /// `MPI_Test(outreq)` then `HPCC_GetUpdates` and `MPI_Isend`). Returns
    /// whether a send was started.
    #[inline]
    pub fn try_send(&mut self, buckets: &mut Buckets) -> bool {
        let mut flag: c_int = 0;
        // SAFETY: `send_req` is owned by `self` (a null request tests done).
        unsafe { ffi::MPI_Test(&mut self.send_req, &mut flag, ffi::RSMPI_STATUS_IGNORE) };
        if flag == 0 {
            return false;
        }
        // The previous send is complete: its buffer may be reused.
        let Some(pe) = buckets.take_largest(&mut self.send_buf) else {
            return false;
        };
        // SAFETY: `send_buf` is not modified until this request completes
        // (the next `try_send` tests it first; `finish` waits for it).
        unsafe {
            ffi::MPI_Isend(
                self.send_buf.as_ptr() as *const c_void,
                self.send_buf.len() as c_int,
                ffi::RSMPI_UINT64_T,
                pe as c_int,
                UPDATE_TAG,
                self.comm.as_raw(),
                &mut self.send_req,
            );
        }
        true
    }

    /// Tell every other rank this one has finished, handle messages until
    /// every other rank has finished too, then retire all requests.
    pub fn finish(mut self, mut on_updates: impl FnMut(&[u64])) {
        let procs = self.finish_req.len();
        let word: *const u64 = &*self.finish_word;
        for p in (0..procs).filter(|&p| p != self.rank) {
            // SAFETY: a zero-length send from a word owned by `self`.
            unsafe {
                ffi::MPI_Isend(
                    word as *const c_void,
                    0,
                    ffi::RSMPI_UINT64_T,
                    p as c_int,
                    FINISHED_TAG,
                    self.comm.as_raw(),
                    &mut self.finish_req[p],
                );
            }
        }
        while self.receiving > 0 {
            let mut index: c_int = 0;
            let mut status = empty_status();
            // SAFETY: the requests are owned by `self` and valid handles.
            unsafe {
                ffi::MPI_Waitany(
                    self.recv_req.len() as c_int,
                    self.recv_req.as_mut_ptr(),
                    &mut index,
                    &mut status,
                );
            }
            self.handle(index as usize, &status, &mut on_updates);
        }
        // SAFETY: all requests below are owned by `self`; after each wait
        // the request is complete and its buffer free.
        unsafe {
            ffi::MPI_Waitall(
                procs as c_int,
                self.finish_req.as_mut_ptr(),
                ffi::RSMPI_STATUSES_IGNORE,
            );
            for i in 0..self.recv_req.len() {
                ffi::MPI_Cancel(&mut self.recv_req[i]);
                let mut status = empty_status();
                ffi::MPI_Wait(&mut self.recv_req[i], &mut status);
                let mut cancelled: c_int = 0;
                ffi::MPI_Test_cancelled(&status, &mut cancelled);
                if cancelled == 0 && status.MPI_TAG == UPDATE_TAG {
                    let mut count: c_int = 0;
                    ffi::MPI_Get_count(&status, ffi::RSMPI_UINT64_T, &mut count);
                    let n = usize::try_from(count).expect("message count").min(BUFFER);
                    on_updates(&self.recv_buf[i * BUFFER..i * BUFFER + n]);
                }
            }
            ffi::MPI_Wait(&mut self.send_req, ffi::RSMPI_STATUS_IGNORE);
        }
        self.active = false;
    }
}

impl Drop for Exchange<'_> {
    fn drop(&mut self) {
        if self.active {
            // Unwinding out of the update loop: MPI may still write into
            // these buffers, so they are never freed.
            std::mem::forget(std::mem::take(&mut self.recv_buf));
            std::mem::forget(std::mem::take(&mut self.send_buf));
            std::mem::forget(std::mem::replace(&mut self.finish_word, Box::new(0)));
        }
    }
}
