//! The factored panel as one message, and its broadcast along the process
//! row (HPL's `HPL_binit` / `HPL_bcast` / `HPL_bwait`).
//!
//! HPL sends the panel from the process column that factored it to the
//! other process columns along one of its hand-written topologies (BCAST
//! 0-5), as point-to-point messages that the receivers poll for while they
//! update their trailing matrix, so that with look-ahead the broadcast
//! overlaps computation. rhpcc does the same ([`PanelBcast`]): every
//! process posts its receive (`MPI_Irecv`) and sends (`MPI_Isend`) without
//! blocking, [`PanelBcast::progress`] is called between slices of the
//! update (it forwards the panel as soon as it has arrived), and
//! [`PanelBcast::wait`] finishes it. The routes ([`route`]) are HPL's:
//!
//! - `1ring` (`HPL_bcast_1ring`): the root sends to the next column, each
//!   column forwards to the next;
//! - `1ringM` (`HPL_bcast_1rinM`): the root sends to the next column (the
//!   one that factors the next panel, which then does not forward) and to
//!   the one after it, which starts the ring;
//! - `2ring` (`HPL_bcast_2ring`): two rings, from the root's neighbour and
//!   from the column half way round;
//! - `2ringM` (`HPL_bcast_2rinM`): `2ring` with the root's neighbour served
//!   first and left out of the rings;
//! - `Blong` and `BlongM` (HPL's spread-and-roll broadcasts for long
//!   messages) are not implemented: they take the routes of `1ring` and
//!   `1ringM`, the rings they are the long-message forms of. The section
//!   says so.

use mpi::ffi;
use mpi::raw::AsRaw;
use mpi::traits::*;

use crate::config::Bcast;
use crate::grid::ProcessGrid;

/// HPL's panel message (`PANEL->L2`, `PANEL->L1`, `PANEL->DPIV`, plus the
/// factorization's zero-pivot flag) in one buffer of doubles:
///
/// | range                          | content                                       |
/// |--------------------------------|-----------------------------------------------|
/// | `0 .. rows*jb`                 | this process row's rows of the panel, column-major, leading dimension `rows` (on the diagonal process row the first `jb` rows are `L11 \ U11`) |
/// | `rows*jb .. rows*jb + jb*jb`   | `L1 = L11 \ U11`, column-major, leading dimension `jb` |
/// | next `jb`                      | the pivot rows (global indices, exact as doubles) |
/// | last                           | `k + 1` for the first zero pivot in panel column `k`, or 0 |
pub struct PanelMessage {
    pub rows: usize,
    pub jb: usize,
    buf: Vec<f64>,
}

impl PanelMessage {
    /// An empty message for `rows` local panel rows and width `jb`.
    pub fn new(rows: usize, jb: usize) -> PanelMessage {
        PanelMessage {
            rows,
            jb,
            buf: vec![0.0; rows * jb + jb * jb + jb + 1],
        }
    }

    fn split(&self) -> [usize; 3] {
        let l = self.rows * self.jb;
        let l1 = l + self.jb * self.jb;
        [l, l1, l1 + self.jb]
    }

    /// The panel rows, `rows x jb`, leading dimension `rows`.
    pub fn l(&self) -> &[f64] {
        &self.buf[..self.split()[0]]
    }

    pub fn l_mut(&mut self) -> &mut [f64] {
        let e = self.split()[0];
        &mut self.buf[..e]
    }

    /// `L1`, `jb x jb`, leading dimension `jb`.
    pub fn l1(&self) -> &[f64] {
        let [a, b, _] = self.split();
        &self.buf[a..b]
    }

    pub fn l1_mut(&mut self) -> &mut [f64] {
        let [a, b, _] = self.split();
        &mut self.buf[a..b]
    }

    /// The pivot rows as global indices.
    pub fn ipiv(&self) -> Vec<usize> {
        let [_, b, c] = self.split();
        self.buf[b..c].iter().map(|&v| v as usize).collect()
    }

    pub fn set_ipiv(&mut self, ipiv: &[usize]) {
        let [_, b, c] = self.split();
        for (d, &v) in self.buf[b..c].iter_mut().zip(ipiv) {
            *d = v as f64;
        }
    }

    /// The panel column of the first zero pivot.
    pub fn zero_pivot(&self) -> Option<usize> {
        let v = *self.buf.last().expect("message has a flag");
        (v > 0.0).then(|| v as usize - 1)
    }

    pub fn set_zero_pivot(&mut self, k: Option<usize>) {
        *self.buf.last_mut().expect("message has a flag") = k.map_or(0.0, |k| (k + 1) as f64);
    }
}

/// Who one process receives the panel from and sends it to, in process
/// columns (`q` columns, panel factored on column `root`, this process on
/// column `me`). Sends go out in the listed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub from: Option<usize>,
    pub to: Vec<usize>,
}

/// HPL's route for `bcast` (see the module documentation).
pub fn route(bcast: Bcast, q: usize, root: usize, me: usize) -> Route {
    let mut r = Route {
        from: None,
        to: Vec::new(),
    };
    if q <= 1 {
        return r;
    }
    let add = |a: usize, b: usize| (a + b) % q;
    let sub1 = |a: usize| (a + q - 1) % q;
    let next = add(me, 1);
    let prev = sub1(me);
    let roo2 = add(root, q.div_ceil(2));
    match bcast {
        Bcast::OneRing | Bcast::Long => {
            if me == root {
                r.to.push(next);
            } else {
                r.from = Some(prev);
                if next != root {
                    r.to.push(next);
                }
            }
        }
        Bcast::OneRingModified | Bcast::LongModified => {
            if me == root {
                r.to.push(next);
                if q > 2 {
                    r.to.push(add(next, 1));
                }
            } else {
                let partner = if q > 2 && sub1(prev) == root {
                    root
                } else {
                    prev
                };
                r.from = Some(partner);
                if prev != root && next != root {
                    r.to.push(next);
                }
            }
        }
        Bcast::TwoRing => {
            if me == root {
                r.to.push(next);
                if q > 2 {
                    r.to.push(roo2);
                }
            } else {
                let partner = if prev == root || me == roo2 {
                    root
                } else {
                    prev
                };
                r.from = Some(partner);
                if next != roo2 && next != root {
                    r.to.push(next);
                }
            }
        }
        Bcast::TwoRingModified => {
            if me == root {
                r.to.push(next);
                if q > 2 {
                    if add(next, 1) != roo2 {
                        r.to.push(add(next, 1));
                    }
                    r.to.push(roo2);
                }
            } else {
                let partner = if prev == root || me == roo2 || sub1(prev) == root {
                    root
                } else {
                    prev
                };
                r.from = Some(partner);
                if prev != root && next != roo2 && next != root {
                    r.to.push(next);
                }
            }
        }
    }
    r
}

/// Whether rhpcc runs `bcast` as HPL does (`false`: it takes the route of
/// the nearest ring, see [`route`]).
pub fn implemented(bcast: Bcast) -> bool {
    !matches!(bcast, Bcast::Long | Bcast::LongModified)
}

/// One non-blocking point-to-point request on a buffer owned elsewhere in
/// [`PanelBcast`].
struct Pending(ffi::MPI_Request);

impl Pending {
    /// Whether the request has completed (`MPI_Test`).
    fn test(&mut self) -> bool {
        let mut flag = 0;
        // SAFETY: a live request from MPI_Isend/MPI_Irecv (or MPI_REQUEST_NULL
        // after completion, for which MPI_Test returns flag = 1).
        unsafe { ffi::MPI_Test(&mut self.0, &mut flag, ffi::RSMPI_STATUS_IGNORE) };
        flag != 0
    }

    fn wait(&mut self) {
        // SAFETY: as in `test`.
        unsafe { ffi::MPI_Wait(&mut self.0, ffi::RSMPI_STATUS_IGNORE) };
    }
}

/// A panel broadcast in flight along the process row
/// (`HPL_binit` ... `HPL_bwait`).
///
/// It owns the message buffer for as long as MPI may read or write it:
/// [`PanelBcast::wait`] hands it back once every request has completed,
/// and dropping it unfinished waits for them first.
pub struct PanelBcast {
    msg: PanelMessage,
    comm: ffi::MPI_Comm,
    tag: i32,
    to: Vec<usize>,
    recv: Option<Pending>,
    sends: Vec<Pending>,
}

impl PanelBcast {
    /// Starts broadcasting `msg` from process column `root` with the
    /// route of `bcast`. Every process of the row calls this with a
    /// message of the same size (the root's filled in); `tag` tells the
    /// panels apart.
    pub fn start(
        grid: &ProcessGrid,
        msg: PanelMessage,
        root: usize,
        bcast: Bcast,
        tag: i32,
    ) -> PanelBcast {
        let r = route(bcast, grid.q, root, grid.mycol);
        let mut b = PanelBcast {
            msg,
            comm: grid.row.as_raw(),
            tag,
            to: r.to,
            recv: None,
            sends: Vec::new(),
        };
        match r.from {
            Some(from) => {
                let len = count(b.msg.buf.len());
                let mut req = std::mem::MaybeUninit::uninit();
                // SAFETY: the buffer is owned by `b` and neither moved,
                // resized nor read until the request completes (`wait`,
                // `Drop`).
                unsafe {
                    ffi::MPI_Irecv(
                        b.msg.buf.as_mut_ptr().cast(),
                        len,
                        f64::equivalent_datatype().as_raw(),
                        from as i32,
                        tag,
                        b.comm,
                        req.as_mut_ptr(),
                    );
                    b.recv = Some(Pending(req.assume_init()));
                }
            }
            None => b.send_on(),
        }
        b
    }

    /// Posts this process's sends (the panel is here).
    fn send_on(&mut self) {
        let len = count(self.msg.buf.len());
        for &dest in &self.to {
            let mut req = std::mem::MaybeUninit::uninit();
            // SAFETY: the buffer is owned by `self`, complete, and only
            // read until every send completes (`wait`, `Drop`).
            unsafe {
                ffi::MPI_Isend(
                    self.msg.buf.as_ptr().cast(),
                    len,
                    f64::equivalent_datatype().as_raw(),
                    dest as i32,
                    self.tag,
                    self.comm,
                    req.as_mut_ptr(),
                );
                self.sends.push(Pending(req.assume_init()));
            }
        }
    }

    /// Moves the broadcast on without blocking (`HPL_bcast`): once the
    /// panel has arrived it is forwarded. Returns whether everything this
    /// process takes part in has completed.
    pub fn progress(&mut self) -> bool {
        if let Some(r) = &mut self.recv {
            if !r.test() {
                return false;
            }
            self.recv = None;
            self.send_on();
        }
        let mut done = true;
        for s in &mut self.sends {
            done &= s.test();
        }
        done
    }

    /// Completes the broadcast (`HPL_bwait`) and returns the panel.
    pub fn wait(mut self) -> PanelMessage {
        self.finish();
        std::mem::replace(&mut self.msg, PanelMessage::new(0, 0))
    }

    fn finish(&mut self) {
        if let Some(mut r) = self.recv.take() {
            r.wait();
            self.send_on();
        }
        for s in &mut self.sends {
            s.wait();
        }
        self.sends.clear();
    }
}

impl Drop for PanelBcast {
    fn drop(&mut self) {
        self.finish();
    }
}

fn count(len: usize) -> i32 {
    i32::try_from(len).expect("panel message under 2^31 doubles")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_do_not_overlap() {
        let mut m = PanelMessage::new(5, 3);
        m.l_mut().fill(1.0);
        m.l1_mut().fill(2.0);
        m.set_ipiv(&[7, 8, 9]);
        m.set_zero_pivot(Some(2));
        assert!(m.l().iter().all(|&v| v == 1.0) && m.l().len() == 15);
        assert!(m.l1().iter().all(|&v| v == 2.0) && m.l1().len() == 9);
        assert_eq!(m.ipiv(), vec![7, 8, 9]);
        assert_eq!(m.zero_pivot(), Some(2));
        m.set_zero_pivot(None);
        assert_eq!(m.zero_pivot(), None);
        // A process row with no rows left still carries L1 and the pivots.
        let m = PanelMessage::new(0, 4);
        assert_eq!(m.l().len(), 0);
        assert_eq!(m.l1().len(), 16);
    }
}

#[cfg(test)]
mod route_tests {
    use super::*;

    const ALL: [Bcast; 6] = [
        Bcast::OneRing,
        Bcast::OneRingModified,
        Bcast::TwoRing,
        Bcast::TwoRingModified,
        Bcast::Long,
        Bcast::LongModified,
    ];

    /// Every route reaches every column exactly once from the root, and
    /// each receiver's source is a process that sends to it.
    #[test]
    fn routes_form_a_tree_from_the_root() {
        for b in ALL {
            for q in 1..=9 {
                for root in 0..q {
                    let routes: Vec<Route> = (0..q).map(|me| route(b, q, root, me)).collect();
                    assert_eq!(routes[root].from, None);
                    let mut got = vec![0usize; q];
                    for (src, r) in routes.iter().enumerate() {
                        for &d in &r.to {
                            assert_ne!(d, root, "{b:?} q={q} root={root}: sends to root");
                            assert_eq!(
                                routes[d].from,
                                Some(src),
                                "{b:?} q={q} root={root} {src}->{d}"
                            );
                            got[d] += 1;
                        }
                    }
                    for (c, &g) in got.iter().enumerate() {
                        assert_eq!(g, usize::from(c != root), "{b:?} q={q} root={root} col {c}");
                    }
                    // Reachable: walk from the root.
                    let mut seen = vec![false; q];
                    let mut stack = vec![root];
                    while let Some(c) = stack.pop() {
                        seen[c] = true;
                        stack.extend(routes[c].to.iter().copied());
                    }
                    assert!(seen.iter().all(|&s| s), "{b:?} q={q} root={root}");
                }
            }
        }
    }

    #[test]
    fn hpl_routes_on_five_columns() {
        // 1ring from column 3: 3 -> 4 -> 0 -> 1 -> 2.
        assert_eq!(route(Bcast::OneRing, 5, 3, 3).to, vec![4]);
        assert_eq!(route(Bcast::OneRing, 5, 3, 1).from, Some(0));
        assert!(route(Bcast::OneRing, 5, 3, 2).to.is_empty());
        // 1ringM from 0: 0 -> 1 (no forward), 0 -> 2 -> 3 -> 4.
        assert_eq!(route(Bcast::OneRingModified, 5, 0, 0).to, vec![1, 2]);
        assert!(route(Bcast::OneRingModified, 5, 0, 1).to.is_empty());
        assert_eq!(route(Bcast::OneRingModified, 5, 0, 2).to, vec![3]);
        // 2ring from 0 (roo2 = 3): 0 -> 1 -> 2, 0 -> 3 -> 4.
        assert_eq!(route(Bcast::TwoRing, 5, 0, 0).to, vec![1, 3]);
        assert!(route(Bcast::TwoRing, 5, 0, 2).to.is_empty());
        assert_eq!(route(Bcast::TwoRing, 5, 0, 3).to, vec![4]);
        // 2ringM from 0: 0 -> 1, 0 -> 2, 0 -> 3 -> 4.
        assert_eq!(route(Bcast::TwoRingModified, 5, 0, 0).to, vec![1, 2, 3]);
        assert!(route(Bcast::TwoRingModified, 5, 0, 2).to.is_empty());
        assert_eq!(route(Bcast::TwoRingModified, 5, 0, 3).to, vec![4]);
    }
}
