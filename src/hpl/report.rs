//! The text of HPCC's HPL section, as HPL 2.0 writes it (`HPL_pdinfo`'s
//! echo of the parameters, `HPL_pdtest`'s table and residual lines,
//! `HPL_pddriver`'s closing counts), with the same C formats.

use crate::config::{Bcast, Fact, HpccInput, Pmap, Swap};
use crate::report::cfmt;

use super::residual::EPS;
use super::Outcome;

const EQ: &str =
    "================================================================================\n";
const DASH: &str =
    "--------------------------------------------------------------------------------\n";

/// How rhpcc's HPL differs from HPL 2.0's algorithms, printed after the
/// parameters so that every output says what actually ran.
pub const NOTES: [&str; 1] =
    ["- rhpcc: L1 and U are kept no-transposed whatever L1/U the input asks for (layout only)."];

/// rhpcc's notes on how it runs this input: [`NOTES`], plus a line for
/// each requested parameter that runs as a nearby one.
pub fn notes(inp: &HpccInput) -> Vec<&'static str> {
    let mut v = NOTES.to_vec();
    if inp.depths.iter().any(|&d| d > 1) {
        v.push("- rhpcc: DEPTH above 1 runs with a look-ahead of 1 (HPL_pdgesvK2 with one panel ahead).");
    }
    if inp.bcasts.iter().any(|&b| !super::bcast::implemented(b)) {
        v.push("- rhpcc: BCAST Blong and BlongM take the routes of 1ring and 1ringM.");
    }
    v
}

fn fact_name(f: Fact) -> &'static str {
    match f {
        Fact::Left => "    Left ",
        Fact::Crout => "   Crout ",
        Fact::Right => "   Right ",
    }
}

fn bcast_name(b: Bcast) -> &'static str {
    match b {
        Bcast::OneRing => "   1ring ",
        Bcast::OneRingModified => "  1ringM ",
        Bcast::TwoRing => "   2ring ",
        Bcast::TwoRingModified => "  2ringM ",
        Bcast::Long => "   Blong ",
        Bcast::LongModified => "  BlongM ",
    }
}

/// One parameter line of `HPL_pdinfo`: `label` then the items, eight per
/// line, continuation lines indented by eight spaces.
fn list_line(label: &str, items: &[String]) -> String {
    let mut s = format!("\n{label}:");
    for (i, it) in items.iter().enumerate() {
        if i > 0 && i % 8 == 0 {
            s.push_str("\n        ");
        }
        s.push_str(it);
    }
    s
}

fn ints(v: impl IntoIterator<Item = usize>) -> Vec<String> {
    v.into_iter().map(|x| format!("{x:8} ")).collect()
}

/// `HPL_pdinfo`'s banner and parameter echo, then rhpcc's [`notes`].
pub fn header(inp: &HpccInput) -> String {
    let mut s = String::new();
    s.push_str(EQ);
    s.push_str("HPLinpack 2.0  --  High-Performance Linpack benchmark  --   September 10, 2008\n");
    s.push_str(
        "Written by A. Petitet and R. Clint Whaley,  Innovative Computing Laboratory, UTK\n",
    );
    s.push_str("Modified by Piotr Luszczek, Innovative Computing Laboratory, UTK\n");
    s.push_str("Modified by Julien Langou, University of Colorado Denver\n");
    s.push_str(EQ);
    s.push_str(
        "\nAn explanation of the input/output parameters follows:\n\
         T/V    : Wall time / encoded variant.\n\
         N      : The order of the coefficient matrix A.\n\
         NB     : The partitioning blocking factor.\n\
         P      : The number of process rows.\n\
         Q      : The number of process columns.\n\
         Time   : Time in seconds to solve the linear system.\n\
         Gflops : Rate of execution for solving the linear system.\n\n\
         The following parameter values will be used:\n",
    );
    s.push_str(&list_line("N      ", &ints(inp.ns.iter().copied())));
    s.push_str(&list_line("NB     ", &ints(inp.nbs.iter().copied())));
    s.push_str(match inp.pmap {
        Pmap::RowMajor => "\nPMAP   : Row-major process mapping",
        Pmap::ColumnMajor => "\nPMAP   : Column-major process mapping",
    });
    s.push_str(&list_line("P      ", &ints(inp.grids.iter().map(|g| g.0))));
    s.push_str(&list_line("Q      ", &ints(inp.grids.iter().map(|g| g.1))));
    let facts = |v: &[Fact]| {
        v.iter()
            .map(|&f| fact_name(f).to_string())
            .collect::<Vec<_>>()
    };
    s.push_str(&list_line("PFACT  ", &facts(&inp.pfacts)));
    s.push_str(&list_line("NBMIN  ", &ints(inp.nbmins.iter().copied())));
    s.push_str(&list_line("NDIV   ", &ints(inp.ndivs.iter().copied())));
    s.push_str(&list_line("RFACT  ", &facts(&inp.rfacts)));
    let bcasts: Vec<String> = inp.bcasts.iter().map(|&b| bcast_name(b).into()).collect();
    s.push_str(&list_line("BCAST  ", &bcasts));
    s.push_str(&list_line("DEPTH  ", &ints(inp.depths.iter().copied())));
    s.push_str(&match inp.swap {
        Swap::BinaryExchange => "\nSWAP   : Binary-exchange".to_string(),
        Swap::SpreadRoll => "\nSWAP   : Spread-roll (long)".to_string(),
        Swap::Mix => format!("\nSWAP   : Mix (threshold = {})", inp.swap_threshold),
    });
    let form = |notrans: bool| {
        if notrans {
            " no-transposed form"
        } else {
            " transposed form"
        }
    };
    s.push_str(&format!("\nL1     :{}", form(inp.l1_notrans)));
    s.push_str(&format!("\nU      :{}", form(inp.u_notrans)));
    s.push_str(if inp.equil {
        "\nEQUIL  : yes"
    } else {
        "\nEQUIL  : no"
    });
    s.push_str(&format!(
        "\nALIGN  : {} double precision words\n\n",
        inp.align
    ));
    s.push_str(DASH);
    s.push('\n');
    s.push_str("- The matrix A is randomly generated for each test.\n");
    s.push_str("- The following scaled residual check will be computed:\n");
    s.push_str("      ||Ax-b||_oo / ( eps * ( || x ||_oo * || A ||_oo + || b ||_oo ) * N )\n");
    s.push_str(&format!(
        "- The relative machine precision (eps) is taken to be      {:>21}\n",
        cfmt::e(EPS)
    ));
    s.push_str(&format!(
        "- Computational tests pass if scaled residuals are less than         {}\n",
        fixed(inp.threshold, 11, 1)
    ));
    for line in notes(inp) {
        s.push_str(line);
        s.push('\n');
    }
    s.push('\n');
    s
}

/// `%{width}.{prec}f` as C prints it (`nan`, `inf` for non-finite values).
pub fn fixed(v: f64, width: usize, prec: usize) -> String {
    if v.is_finite() {
        format!("{v:width$.prec$}")
    } else {
        let t = if v.is_nan() {
            "nan"
        } else if v > 0.0 {
            "inf"
        } else {
            "-inf"
        };
        format!("{t:>width$}")
    }
}

/// The table header `HPL_pdtest` prints before its first test.
pub fn table_header() -> String {
    format!(
        "{EQ}T/V                N    NB     P     Q               Time                 Gflops\n{DASH}"
    )
}

/// What `HPL_pdtest` prints for one test.
pub fn test_lines(o: &Outcome, threshold: f64) -> String {
    let mut s = String::new();
    if o.time > 0.0 {
        let v = &o.params;
        s.push_str(&format!(
            "{}{:12} {:5} {:5} {:5} {:18.2}     {:>18}\n",
            v.code(),
            v.n,
            v.nb,
            v.p,
            v.q,
            o.time,
            cfmt::e_prec(o.gflops, 3)
        ));
    }
    match (o.info, &o.norms) {
        (Some(info), _) => {
            s.push_str(&format!(
                "HPL ERROR from process # 0, on line 342 of function HPL_pdtest:\n\
                 >>> Error code returned by solve is {info}, skip <<<\n\n"
            ));
        }
        (None, None) => {}
        (None, Some(nm)) => {
            let passed = nm.resid < threshold;
            s.push_str(DASH);
            s.push_str(&format!(
                "||Ax-b||_oo/(eps*(||A||_oo*||x||_oo+||b||_oo)*N)= {} ...... {}\n",
                fixed(nm.resid, 16, 7),
                if passed { "PASSED" } else { "FAILED" }
            ));
            if !passed {
                for (label, v) in [
                    (
                        "||Ax-b||_oo  . . . . . . . . . . . . . . . . . = ",
                        nm.rnorm_i,
                    ),
                    (
                        "||A||_oo . . . . . . . . . . . . . . . . . . . = ",
                        nm.anorm_i,
                    ),
                    (
                        "||A||_1  . . . . . . . . . . . . . . . . . . . = ",
                        nm.anorm1,
                    ),
                    (
                        "||x||_oo . . . . . . . . . . . . . . . . . . . = ",
                        nm.xnorm_i,
                    ),
                    (
                        "||x||_1  . . . . . . . . . . . . . . . . . . . = ",
                        nm.xnorm1,
                    ),
                    (
                        "||b||_oo . . . . . . . . . . . . . . . . . . . = ",
                        nm.bnorm_i,
                    ),
                ] {
                    s.push_str(label);
                    s.push_str(&fixed(v, 18, 6));
                    s.push('\n');
                }
            }
        }
    }
    s
}

/// `HPL_pddriver`'s closing lines.
pub fn footer(passed: usize, failed: usize, skipped: usize) -> String {
    format!(
        "{EQ}\nFinished {:6} tests with the following results:\n\
         \x20        {passed:6} tests completed and passed residual checks,\n\
         \x20        {failed:6} tests completed and failed residual checks,\n\
         \x20        {skipped:6} tests skipped because of illegal input values.\n\
         {DASH}\nEnd of Tests.\n{EQ}",
        passed + failed + skipped
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::hpccinf::HpccInput;
    use crate::hpl::residual::Norms;
    use crate::hpl::Params;

    /// The HPL section of the reference run (N=1000, NB=80, 1 x 2, MKL),
    /// from its first line to the residual line.
    const REFERENCE: &str = "\
================================================================================
HPLinpack 2.0  --  High-Performance Linpack benchmark  --   September 10, 2008
Written by A. Petitet and R. Clint Whaley,  Innovative Computing Laboratory, UTK
Modified by Piotr Luszczek, Innovative Computing Laboratory, UTK
Modified by Julien Langou, University of Colorado Denver
================================================================================

An explanation of the input/output parameters follows:
T/V    : Wall time / encoded variant.
N      : The order of the coefficient matrix A.
NB     : The partitioning blocking factor.
P      : The number of process rows.
Q      : The number of process columns.
Time   : Time in seconds to solve the linear system.
Gflops : Rate of execution for solving the linear system.

The following parameter values will be used:

N      :    1000 
NB     :      80 
PMAP   : Row-major process mapping
P      :       1 
Q      :       2 
PFACT  :   Right 
NBMIN  :       4 
NDIV   :       2 
RFACT  :   Crout 
BCAST  :  1ringM 
DEPTH  :       1 
SWAP   : Mix (threshold = 64)
L1     : transposed form
U      : transposed form
EQUIL  : yes
ALIGN  : 8 double precision words

--------------------------------------------------------------------------------

- The matrix A is randomly generated for each test.
- The following scaled residual check will be computed:
      ||Ax-b||_oo / ( eps * ( || x ||_oo * || A ||_oo + || b ||_oo ) * N )
- The relative machine precision (eps) is taken to be               1.110223e-16
- Computational tests pass if scaled residuals are less than                16.0
";

    const REFERENCE_TABLE: &str = "\
================================================================================
T/V                N    NB     P     Q               Time                 Gflops
--------------------------------------------------------------------------------
WR11C2R4        1000    80     1     2               0.02              2.775e+01
--------------------------------------------------------------------------------
||Ax-b||_oo/(eps*(||A||_oo*||x||_oo+||b||_oo)*N)=        0.0030543 ...... PASSED
";

    const REFERENCE_FOOTER: &str = "\
================================================================================

Finished      1 tests with the following results:
              1 tests completed and passed residual checks,
              0 tests completed and failed residual checks,
              0 tests skipped because of illegal input values.
--------------------------------------------------------------------------------

End of Tests.
================================================================================
";

    fn reference_input() -> HpccInput {
        let text = include_str!("../../tests/data/hpccinf_N1000_1x2.txt");
        crate::config::hpccinf::parse(std::path::Path::new("x"), text).unwrap()
    }

    fn reference_outcome(resid: f64) -> Outcome {
        let inp = reference_input();
        Outcome {
            params: Params::all(&inp, 1, 2)[0],
            time: 0.0240814,
            gflops: 27.7462,
            info: None,
            norms: Some(Norms {
                anorm1: 263.865,
                anorm_i: 262.773,
                xnorm1: 2619.63,
                xnorm_i: 11.3513,
                bnorm_i: 0.499776,
                rnorm_i: 1.01164e-12,
                resid,
            }),
        }
    }

    #[test]
    fn header_is_the_references_plus_notes() {
        let h = header(&reference_input());
        let (ours, notes) = h.split_at(REFERENCE.len());
        assert_eq!(ours, REFERENCE);
        let want: String = NOTES.iter().map(|l| format!("{l}\n")).collect();
        assert_eq!(notes, format!("{want}\n"));
    }

    #[test]
    fn table_and_residual_lines_are_the_references() {
        let s = table_header() + &test_lines(&reference_outcome(0.0030543), 16.0);
        assert_eq!(s, REFERENCE_TABLE);
    }

    #[test]
    fn footer_is_the_references() {
        assert_eq!(footer(1, 0, 0), REFERENCE_FOOTER);
    }

    #[test]
    fn failed_residual_prints_the_norms() {
        let s = test_lines(&reference_outcome(1.0e9), 16.0);
        assert!(s.contains("N)= 1000000000.0000000 ...... FAILED\n"), "{s}");
        assert!(s.contains("||A||_1  . . . . . . . . . . . . . . . . . . . =         263.865000\n"));
        let s = test_lines(&reference_outcome(f64::NAN), 16.0);
        assert!(s.contains("N)=              nan ...... FAILED\n"), "{s}");
    }

    #[test]
    fn skipped_test_prints_hpls_warning() {
        let mut o = reference_outcome(0.0);
        o.info = Some(17);
        o.norms = None;
        let s = test_lines(&o, 16.0);
        assert!(s.ends_with(">>> Error code returned by solve is 17, skip <<<\n\n"));
    }

    #[test]
    fn long_lists_wrap_after_eight_values() {
        let mut inp = reference_input();
        inp.ns = (1..=10).map(|i| i * 100).collect();
        let h = header(&inp);
        assert!(h.contains(
            "\nN      :     100      200      300      400      500      600      700      800 \n             900     1000 \nNB"
        ));
    }
}
