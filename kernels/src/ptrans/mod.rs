//! Single-process pieces of HPCC's PTRANS test (`C <- A^T + C` on a block-
//! cyclic grid): the matrix generator ([`matgen`]), the random placement of
//! ranks ([`gridmap`]), the LCM block classes and PDTRANS's exchange
//! schedule ([`classes`]), the local pack, transpose and add kernels
//! ([`transpose`]) and the check ([`residual`]). The distributed driver
//! lives in the `rhpcc` crate (`src/ptrans/`).

pub mod classes;
pub mod gridmap;
pub mod matgen;
pub mod residual;
pub mod transpose;

#[cfg(test)]
mod tests {
    //! The whole distributed transpose, every process of a grid simulated
    //! in one: messages are handed over in memory, step by step as the
    //! schedule says.

    use super::classes::{schedule, Problem};
    use super::matgen::{generate, Distribution, Form, SEED_A, SEED_C};
    use super::residual::local_maxima;
    use super::transpose::{add_pieces, transpose_pieces, Mode};

    fn dist(
        m: usize,
        n: usize,
        mb: usize,
        nb: usize,
        pr: &Problem,
        me: (usize, usize),
    ) -> Distribution {
        Distribution {
            m,
            n,
            mb,
            nb,
            p: pr.p,
            q: pr.q,
            myrow: me.0,
            mycol: me.1,
        }
    }

    /// One process's outcome: computed and expected local C, their leading
    /// dimension and local shape.
    struct Local {
        c: Vec<f64>,
        e: Vec<f64>,
        ld: usize,
        rows: usize,
        cols: usize,
    }

    /// Runs PTRANS's case on a simulated grid.
    fn simulate(n: usize, nb: usize, p: usize, q: usize) -> Vec<Local> {
        let pr = Problem {
            m: n,
            n,
            mb: nb,
            nb,
            p,
            q,
        };
        let procs: Vec<(usize, usize)> = (0..p * q).map(|k| (k / q, k % q)).collect();
        let mut a_loc = Vec::new();
        let mut c_loc = Vec::new();
        for &me in &procs {
            let (mp, nq) = pr.a_local(me);
            let (np, mq) = pr.c_local(me);
            let lda = mp.max(1);
            let ldc = np.max(1);
            let mut a = vec![0.0; lda * nq.max(1)];
            let mut c = vec![0.0; ldc * mq.max(1)];
            generate(
                &dist(n, n, nb, nb, &pr, me),
                Form::Plain,
                SEED_A,
                0.0,
                &mut a,
                lda,
            );
            generate(
                &dist(n, n, nb, nb, &pr, me),
                Form::Transposed,
                SEED_C,
                0.0,
                &mut c,
                ldc,
            );
            a_loc.push((a, lda));
            c_loc.push((c, ldc));
        }
        let schedules: Vec<_> = procs.iter().map(|&(r, c)| schedule(p, q, r, c)).collect();
        let by_step: Vec<Vec<_>> = (0..schedules[0].len())
            .map(|s| schedules.iter().map(|v| v[s]).collect())
            .collect();
        for now in &by_step {
            // Everyone packs, then everyone receives: as one MPI_Sendrecv.
            let mut inbox: Vec<Option<Vec<f64>>> = vec![None; procs.len()];
            for (k, &me) in procs.iter().enumerate() {
                let step = now[k];
                let (a, lda) = &a_loc[k];
                if step.dest == me {
                    let (rows, cols) = pr.keep(me);
                    let (c, ldc) = &mut c_loc[k];
                    transpose_pieces(a, *lda, &rows, &cols, c, *ldc, Mode::Add);
                } else {
                    let map = pr.send(me, step.dest);
                    let mut t = vec![f64::NAN; map.len()];
                    transpose_pieces(
                        a,
                        *lda,
                        &map.rows,
                        &map.cols,
                        &mut t,
                        map.t_rows,
                        Mode::Assign,
                    );
                    let d = step.dest.0 * q + step.dest.1;
                    assert!(inbox[d].is_none(), "two messages for {:?}", step.dest);
                    inbox[d] = Some(t);
                }
            }
            for (k, &me) in procs.iter().enumerate() {
                let step = now[k];
                if step.source == me {
                    continue;
                }
                let t = inbox[k].take().expect("a message arrived");
                let map = pr.receive(me, step.source);
                assert_eq!(t.len(), map.len());
                let (c, ldc) = &mut c_loc[k];
                add_pieces(&t, map.t_rows, &map.rows, &map.cols, c, *ldc);
            }
        }
        procs
            .iter()
            .enumerate()
            .map(|(k, &me)| {
                let (np, mq) = pr.c_local(me);
                let (c, ldc) = c_loc[k].clone();
                let mut e = vec![0.0; ldc * mq.max(1)];
                // PTRANS's regeneration of the expected matrix.
                generate(
                    &dist(n, n, nb, nb, &pr, me),
                    Form::Transposed,
                    SEED_C,
                    0.0,
                    &mut e,
                    ldc,
                );
                generate(
                    &dist(n, n, nb, nb, &pr, me),
                    Form::Transposed,
                    SEED_A,
                    1.0,
                    &mut e,
                    ldc,
                );
                Local {
                    c,
                    e,
                    ld: ldc,
                    rows: np,
                    cols: mq,
                }
            })
            .collect()
    }

    #[test]
    fn distributed_transpose_gives_the_expected_matrix_exactly() {
        for (p, q) in [
            (1, 1),
            (1, 2),
            (2, 1),
            (1, 3),
            (3, 1),
            (2, 2),
            (2, 3),
            (3, 2),
            (2, 4),
            (4, 6),
            (3, 3),
        ] {
            for (n, nb) in [(1, 1), (5, 2), (13, 2), (30, 4), (31, 4), (24, 5), (7, 16)] {
                for l in simulate(n, nb, p, q) {
                    let (diff, size) = local_maxima(&l.e, l.ld, &l.c, l.ld, l.rows, l.cols);
                    assert_eq!(diff, 0.0, "{p}x{q} n={n} nb={nb}");
                    assert!(l.rows * l.cols == 0 || size > 0.0);
                }
            }
        }
    }

    /// The result is `A^T + C` entry by entry, from the global matrices.
    #[test]
    fn distributed_result_is_global_transpose_plus_c() {
        let (n, nb, p, q) = (11, 3, 2, 3);
        let pr = Problem {
            m: n,
            n,
            mb: nb,
            nb,
            p,
            q,
        };
        let whole = |form, seed| {
            let mut g = vec![0.0; n * n];
            generate(
                &dist(n, n, nb, nb, &Problem { p: 1, q: 1, ..pr }, (0, 0)),
                form,
                seed,
                0.0,
                &mut g,
                n,
            );
            g
        };
        let (a, c0) = (whole(Form::Plain, SEED_A), whole(Form::Transposed, SEED_C));
        for (k, l) in simulate(n, nb, p, q).into_iter().enumerate() {
            let me = (k / q, k % q);
            for jl in 0..l.cols {
                for il in 0..l.rows {
                    let i = ((il / nb) * p + me.0) * nb + il % nb;
                    let j = ((jl / nb) * q + me.1) * nb + jl % nb;
                    assert_eq!(
                        l.c[il + jl * l.ld],
                        a[j + i * n] + c0[i + j * n],
                        "C({i},{j})"
                    );
                }
            }
        }
    }
}
