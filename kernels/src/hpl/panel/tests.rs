//! Panel factorization against a naive unblocked LU, and a process column
//! simulated with threads against the single-process result.

use super::*;
use std::sync::{Barrier, Mutex};

/// xorshift64*: a seeded stream of doubles in [-0.5, 0.5).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

/// `m x n` column-major random matrix with leading dimension `lda`.
fn random(rng: &mut Rng, m: usize, n: usize, lda: usize) -> Vec<f64> {
    let mut a = vec![f64::NAN; lda * n.max(1)];
    for j in 0..n {
        for i in 0..m {
            a[i + j * lda] = rng.next_f64();
        }
    }
    a
}

/// Unblocked right-looking LU with partial pivoting (first row of largest
/// |a|; a zero pivot is neither swapped nor divided by). Returns the local
/// pivot rows and the first zero pivot.
fn naive_lu(a: &mut [f64], lda: usize, m: usize, n: usize) -> (Vec<usize>, Option<usize>) {
    let mut piv = vec![0; n];
    let mut info = None;
    for k in 0..n {
        let mut p = k;
        for i in k + 1..m {
            if a[i + k * lda].abs() > a[p + k * lda].abs() {
                p = i;
            }
        }
        piv[k] = p;
        let d = a[p + k * lda];
        if d == 0.0 {
            info.get_or_insert(k);
            continue;
        }
        for j in 0..n {
            a.swap(k + j * lda, p + j * lda);
        }
        for i in k + 1..m {
            a[i + k * lda] /= d;
        }
        for j in k + 1..n {
            let u = a[k + j * lda];
            for i in k + 1..m {
                a[i + j * lda] -= a[i + k * lda] * u;
            }
        }
    }
    (piv, info)
}

struct Single {
    a: Vec<f64>,
    l1: Vec<f64>,
    ipiv: Vec<usize>,
    info: Option<usize>,
}

/// The kernel on one process holding global rows `ia..ia+m`.
fn factor_single(
    a: &[f64],
    lda: usize,
    m: usize,
    jb: usize,
    ia: usize,
    params: &FactParams,
) -> Single {
    let mut a = a.to_vec();
    let mut l1 = vec![f64::NAN; jb * jb];
    let mut ipiv = vec![usize::MAX; jb];
    let info = factor_panel(
        LocalPanel {
            a: &mut a,
            lda,
            rows: m,
            cols: jb,
            layout: RowLayout::single_process(ia),
        },
        PanelFactors {
            l1: &mut l1,
            ipiv: &mut ipiv,
        },
        params,
        Par::Seq,
        &mut SingleProcess,
    );
    Single { a, l1, ipiv, info }
}

fn all_params() -> Vec<FactParams> {
    let mut v = Vec::new();
    for pfact in Variant::ALL {
        for rfact in Variant::ALL {
            for nbmin in [1, 2, 4] {
                for ndiv in [2, 3] {
                    v.push(FactParams {
                        pfact,
                        rfact,
                        nbmin,
                        ndiv,
                    });
                }
            }
        }
    }
    v
}

fn close(x: f64, y: f64, tol: f64) -> bool {
    (x - y).abs() <= tol * y.abs().max(1.0)
}

/// Checks a single-process result against the naive LU of the same panel
/// and P L U against the original panel.
fn check_against_naive(
    a0: &[f64],
    lda: usize,
    m: usize,
    jb: usize,
    ia: usize,
    params: &FactParams,
) {
    let ctx = format!("{params:?} m={m} jb={jb} lda={lda} ia={ia}");
    let got = factor_single(a0, lda, m, jb, ia, params);
    let mut want = a0.to_vec();
    let (piv, info) = naive_lu(&mut want, lda, m, jb);
    assert_eq!(got.info, info, "{ctx}");
    let want_ipiv: Vec<usize> = piv.iter().map(|p| p + ia).collect();
    assert_eq!(got.ipiv, want_ipiv, "{ctx}");
    for j in 0..jb {
        for i in 0..m {
            let (x, y) = (got.a[i + j * lda], want[i + j * lda]);
            assert!(close(x, y, 1e-12), "{ctx}: A[{i},{j}] = {x}, naive {y}");
        }
        for i in m..lda {
            assert!(
                got.a[i + j * lda].is_nan(),
                "{ctx}: padding row {i} written"
            );
        }
        for i in 0..jb {
            // L1 is the factored diagonal block, bit for bit.
            assert_eq!(
                got.l1[i + j * jb].to_bits(),
                got.a[i + j * lda].to_bits(),
                "{ctx}: L1[{i},{j}]"
            );
        }
    }
    // P L U = A
    let mut pa = a0.to_vec();
    for (k, &p) in got.ipiv.iter().enumerate() {
        for j in 0..jb {
            pa.swap(k + j * lda, p - ia + j * lda);
        }
    }
    let scale = (0..jb)
        .flat_map(|j| (0..m).map(move |i| (i, j)))
        .map(|(i, j)| a0[i + j * lda].abs())
        .fold(1.0f64, f64::max);
    for j in 0..jb {
        for i in 0..m {
            let mut s = 0.0;
            for k in 0..=i.min(j) {
                let l = if k == i { 1.0 } else { got.a[i + k * lda] };
                s += l * got.a[k + j * lda];
            }
            let d = (s - pa[i + j * lda]).abs();
            assert!(
                d <= 1e-13 * jb as f64 * scale,
                "{ctx}: (PLU - A)[{i},{j}] = {d}"
            );
        }
    }
}

#[test]
fn every_variant_matches_naive_lu() {
    let mut rng = Rng::new(1);
    for params in all_params() {
        for nb in [4, 8] {
            for jb in [1, 2, 3, nb - 1, nb, nb + 1, 2 * nb + 1] {
                for m in [jb, jb + 1, 2 * jb + 3, 41] {
                    if m < jb {
                        continue;
                    }
                    let lda = m + (jb % 3);
                    let ia = 7 * (jb % 2);
                    let a0 = random(&mut rng, m, jb, lda);
                    check_against_naive(&a0, lda, m, jb, ia, &params);
                }
            }
        }
    }
}

#[test]
fn zero_columns_report_the_first_singular_column() {
    let mut rng = Rng::new(2);
    for params in all_params() {
        for (m, jb, zero_cols) in [(9, 5, vec![1]), (12, 9, vec![0, 4]), (9, 9, vec![8])] {
            let lda = m;
            let mut a0 = random(&mut rng, m, jb, lda);
            for &c in &zero_cols {
                a0[c * lda..c * lda + m].fill(0.0);
            }
            check_against_naive(&a0, lda, m, jb, 3, &params);
            let got = factor_single(&a0, lda, m, jb, 3, &params);
            assert_eq!(got.info, Some(zero_cols[0]), "{params:?}");
        }
    }
}

#[test]
fn split_width_follows_hpl() {
    let p = |nbmin, ndiv| FactParams {
        pfact: Variant::Left,
        rfact: Variant::Left,
        nbmin,
        ndiv,
    };
    // ((n + nbmin - 1) / nbmin + ndiv - 1) / ndiv * nbmin
    assert_eq!(p(4, 2).split_width(32), 16);
    assert_eq!(p(4, 2).split_width(9), 8);
    assert_eq!(p(4, 3).split_width(9), 4);
    assert_eq!(p(1, 2).split_width(5), 3);
    assert_eq!(p(8, 2).split_width(9), 8);
    for n in 2..100 {
        for nbmin in 1..n {
            for ndiv in 2..5 {
                assert!(p(nbmin, ndiv).split_width(n) < n, "recursion must shrink");
            }
        }
    }
    assert_eq!(Variant::from_hpl(1), Some(Variant::Crout));
    assert_eq!(Variant::from_hpl(3), None);
    assert_eq!(Variant::Right.hpl_code(), 2);
}

#[test]
fn global_rows_follow_mindxl2g() {
    // P = 3, NB = 2: process 1 holds global rows 2,3, 8,9, 14,15, ...
    let l = RowLayout {
        nb: 2,
        nprow: 3,
        myrow: 1,
        prow: 0,
        ii: 1,
    };
    let got: Vec<usize> = (0..5).map(|i| l.global_row(i)).collect();
    assert_eq!(got, [3, 8, 9, 14, 15]);
    assert_eq!(RowLayout::single_process(5).global_row(3), 8);
}

fn cand(value: f64, owner: usize, jb: usize, tag: f64) -> Vec<f64> {
    let mut c = vec![0.0; candidate_len(jb)];
    c[CAND_VALUE] = value;
    c[CAND_LOCAL_ROW] = tag;
    c[CAND_GLOBAL_ROW] = 10.0 * tag;
    c[CAND_OWNER] = owner as f64;
    c[CAND_HEADER..CAND_HEADER + jb].fill(tag);
    c[CAND_HEADER + jb..].fill(-tag);
    c
}

#[test]
fn reduction_breaks_ties_by_lower_process_row() {
    let jb = 2;
    let reduce = |cands: &[Vec<f64>], prow| {
        let gathered: Vec<f64> = cands.concat();
        let mut out = vec![f64::NAN; candidate_len(jb)];
        reduce_candidates(&gathered, prow, &mut out);
        out
    };
    // |-3| ties |3|: the lower process row wins, whatever the rank order.
    let out = reduce(
        &[
            cand(1.0, 0, jb, 1.0),
            cand(3.0, 1, jb, 2.0),
            cand(-3.0, 2, jb, 3.0),
        ],
        0,
    );
    assert_eq!(out[..CAND_HEADER], [3.0, 2.0, 20.0, 1.0]);
    let out = reduce(
        &[
            cand(1.0, 0, jb, 1.0),
            cand(-3.0, 1, jb, 2.0),
            cand(3.0, 2, jb, 3.0),
        ],
        2,
    );
    assert_eq!(out[..CAND_HEADER], [-3.0, 2.0, 20.0, 1.0]);
    // Winner's row, then the diagonal row from prow.
    assert_eq!(out[CAND_HEADER..], [2.0, 2.0, -3.0, -3.0]);
    // A larger value wins over a lower process row.
    let out = reduce(&[cand(2.0, 0, jb, 1.0), cand(-2.5, 1, jb, 2.0)], 0);
    assert_eq!(out[CAND_VALUE], -2.5);
    // A column of zeros: a process without rows (owner P) never wins.
    let out = reduce(
        &[
            cand(0.0, 3, jb, 1.0),
            cand(0.0, 1, jb, 2.0),
            cand(0.0, 2, jb, 3.0),
        ],
        1,
    );
    assert_eq!(out[CAND_OWNER], 1.0);
}

/// One simulated process's view of a distributed panel.
struct Proc {
    layout: RowLayout,
    /// All its local rows of the panel's columns, those above the panel
    /// included; leading dimension `lda`.
    local: Vec<f64>,
    lda: usize,
    mp: usize,
    l1: Vec<f64>,
    ipiv: Vec<usize>,
    info: Option<usize>,
}

/// Splits the global `n x jb` column block `g` (leading dimension `n`)
/// over `nprow` processes (row blocks of `nb`), factors the panel of rows
/// `ia..n` with every process on its own thread, the pivot exchange being
/// an all-gather through shared memory and a barrier.
fn factor_distributed(
    g: &[f64],
    n: usize,
    jb: usize,
    ia: usize,
    nb: usize,
    nprow: usize,
    params: &FactParams,
) -> Vec<Proc> {
    assert!(ia.is_multiple_of(nb) && jb <= nb);
    let prow = (ia / nb) % nprow;
    let mut procs: Vec<Proc> = (0..nprow)
        .map(|p| {
            let rows: Vec<usize> = (0..n).filter(|r| (r / nb) % nprow == p).collect();
            let lda = rows.len() + 1;
            let mut local = vec![f64::NAN; lda * jb];
            for (l, &r) in rows.iter().enumerate() {
                for j in 0..jb {
                    local[l + j * lda] = g[r + j * n];
                }
            }
            let ii = rows.iter().filter(|&&r| r < ia).count();
            Proc {
                layout: RowLayout {
                    nb,
                    nprow,
                    myrow: p,
                    prow,
                    ii,
                },
                mp: rows.len() - ii,
                local,
                lda,
                l1: vec![f64::NAN; jb * jb],
                ipiv: vec![usize::MAX; jb],
                info: None,
            }
        })
        .collect();
    let shared = Mutex::new(vec![0.0; nprow * candidate_len(jb)]);
    let barrier = Barrier::new(nprow);
    std::thread::scope(|s| {
        for p in procs.iter_mut() {
            let (shared, barrier) = (&shared, &barrier);
            let me = p.layout.myrow;
            s.spawn(move || {
                let allgather = |send: &[f64], recv: &mut [f64]| {
                    let len = send.len();
                    shared.lock().unwrap()[me * len..(me + 1) * len].copy_from_slice(send);
                    barrier.wait();
                    recv.copy_from_slice(&shared.lock().unwrap()[..nprow * len]);
                    // Nobody overwrites a slot before everyone has read.
                    barrier.wait();
                };
                let ii = p.layout.ii;
                p.info = factor_panel(
                    LocalPanel {
                        a: &mut p.local[ii..],
                        lda: p.lda,
                        rows: p.mp,
                        cols: jb,
                        layout: p.layout,
                    },
                    PanelFactors {
                        l1: &mut p.l1,
                        ipiv: &mut p.ipiv,
                    },
                    params,
                    Par::Seq,
                    &mut AllGatherExchange::new(nprow, allgather),
                );
            });
        }
    });
    procs
}

#[test]
fn simulated_process_columns_match_single_process() {
    let mut rng = Rng::new(3);
    let mut runs = 0;
    for params in all_params().into_iter().filter(|p| p.nbmin <= 2) {
        for nprow in [2, 3] {
            for (nb, jb) in [(4, 1), (4, 3), (4, 4), (8, 5), (8, 8)] {
                for ia in [0, nb, 2 * nb] {
                    for m in [jb, jb + 5, 37] {
                        let n = ia + m;
                        let g = random(&mut rng, n, jb, n);
                        let ctx = format!("{params:?} P={nprow} nb={nb} jb={jb} ia={ia} m={m}");
                        let single = factor_single(&g[ia..], n, m, jb, ia, &params);
                        let procs = factor_distributed(&g, n, jb, ia, nb, nprow, &params);
                        for p in &procs {
                            assert_eq!(p.ipiv, single.ipiv, "{ctx}: ipiv on {}", p.layout.myrow);
                            assert_eq!(p.info, single.info, "{ctx}");
                            // Bit-identical L1 on every process.
                            let l1_bits =
                                |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                            assert_eq!(l1_bits(&p.l1), l1_bits(&procs[0].l1), "{ctx}: L1 differs");
                            for (x, y) in p.l1.iter().zip(&single.l1) {
                                assert!(close(*x, *y, 1e-12), "{ctx}: L1 {x} vs {y}");
                            }
                            for l in 0..p.layout.ii + p.mp {
                                let global = if l < p.layout.ii {
                                    None
                                } else {
                                    Some(p.layout.global_row(l - p.layout.ii))
                                };
                                for j in 0..jb {
                                    let x = p.local[l + j * p.lda];
                                    match global {
                                        // Rows above the panel are not touched.
                                        None => {
                                            let r = (RowLayout { ii: 0, ..p.layout }).global_row(l);
                                            assert_eq!(
                                                x.to_bits(),
                                                g[r + j * n].to_bits(),
                                                "{ctx}"
                                            );
                                        }
                                        Some(r) => {
                                            let y = single.a[r - ia + j * n];
                                            assert!(
                                                close(x, y, 1e-12),
                                                "{ctx}: row {r} col {j}: {x} vs {y}"
                                            );
                                        }
                                    }
                                }
                            }
                        }
                        runs += 1;
                    }
                }
            }
        }
    }
    assert!(runs > 1000);
}

#[test]
fn distributed_ties_go_to_the_lower_process_row() {
    // P = 2, NB = 2: rows 0,1,4,5 on process 0, rows 2,3 on process 1.
    // |1| at global rows 2 (process 1) and 4 (process 0): HPL takes row 4,
    // where a serial LU would take row 2.
    let col = [0.5, 0.1, 1.0, 0.2, -1.0, 0.3];
    let g: Vec<f64> = col
        .iter()
        .chain(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        .copied()
        .collect();
    for params in all_params() {
        let procs = factor_distributed(&g, 6, 2, 0, 2, 2, &params);
        assert_eq!(procs[0].ipiv[0], 4, "{params:?}");
        assert_eq!(procs[1].ipiv[0], 4, "{params:?}");
        let single = factor_single(&g, 6, 6, 2, 0, &params);
        assert_eq!(single.ipiv[0], 2);
    }
}

#[test]
fn distributed_zero_column_keeps_hpls_pivot_record() {
    // A zero column: nothing is swapped, and the recorded pivot is the
    // winner of the search, here process 0's first row (global 4) even
    // though the diagonal (global 2) is on process 1, as in HPL.
    let n = 8;
    let mut g = vec![0.0; n * 2];
    for (i, v) in g[n..].iter_mut().enumerate() {
        *v = i as f64 + 1.0;
    }
    let params = FactParams {
        pfact: Variant::Right,
        rfact: Variant::Left,
        nbmin: 1,
        ndiv: 2,
    };
    let procs = factor_distributed(&g, n, 2, 2, 2, 2, &params);
    for p in &procs {
        assert_eq!(p.info, Some(0));
        assert_eq!(p.ipiv[0], 4);
        // L1 row 0 is the diagonal row as it stood.
        assert_eq!([p.l1[0], p.l1[2]], [0.0, 3.0]);
    }
}
