//! Parser for HPCC's input file `hpccinf.txt`.
//!
//! The format is HPL's `HPL.dat` (lines 1-31) followed by a separator (line
//! 32) and HPCC's optional PTRANS lines 33-36. Lines are read as HPL's
//! `HPL_pdinfo` and HPCC's `HPCC_InputFileInit` read them: the first
//! whitespace-separated token of a line is the value (or count), a values line
//! holds at least `count` tokens, and anything after them is a comment. HPL
//! accepts up to 20 values per list (`HPL_MAX_PARAM`).
//!
//! Where HPL silently falls back to defaults on a bad file, rhpcc refuses it
//! with an error naming the file, the line and what was expected: a benchmark
//! run on parameters the user did not ask for is worse than no run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// HPL's limit on the number of values in one list (`HPL_MAX_PARAM`).
pub const MAX_PARAM: usize = 20;

/// Number of lines up to and including the separator line 32.
const HPL_LINES: usize = 32;

#[derive(Debug, Error, PartialEq)]
pub enum InputError {
    #[error("cannot read input file {file}: {reason}")]
    Unreadable { file: PathBuf, reason: String },
    #[error("{file}:{line}: expected {expected}, found {found}")]
    Bad {
        file: PathBuf,
        line: usize,
        expected: String,
        found: String,
    },
    #[error("{file}: file ends after line {lines}; expected line {line} with {expected}")]
    Truncated {
        file: PathBuf,
        lines: usize,
        line: usize,
        expected: String,
    },
}

/// Process mapping of the P x Q grid (HPL's PMAP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pmap {
    RowMajor,
    ColumnMajor,
}

/// Panel factorization variant (HPL's PFACT and RFACT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fact {
    Left,
    Crout,
    Right,
}

impl Fact {
    /// The letter HPL uses in its variant code and HPCC in `HPL_cpfact`.
    pub fn letter(self) -> char {
        match self {
            Fact::Left => 'L',
            Fact::Crout => 'C',
            Fact::Right => 'R',
        }
    }
}

/// Panel broadcast topology (HPL's BCAST).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Bcast {
    OneRing,
    OneRingModified,
    TwoRing,
    TwoRingModified,
    Long,
    LongModified,
}

impl Bcast {
    /// HPL's numeric code, also printed as `HPL_ctop`.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Row swapping algorithm (HPL's SWAP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Swap {
    BinaryExchange,
    SpreadRoll,
    Mix,
}

/// Every parameter of `hpccinf.txt`, as written in the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HpccInput {
    /// Line 3: HPL's output file name (HPCC ignores it and writes `hpccoutf.txt`).
    pub hpl_output_name: String,
    /// Line 4: HPL's output device (HPCC ignores it).
    pub device_out: i64,
    /// Lines 5-6: problem sizes N.
    pub ns: Vec<usize>,
    /// Lines 7-8: block sizes NB.
    pub nbs: Vec<usize>,
    /// Line 9.
    pub pmap: Pmap,
    /// Lines 10-12: process grids (P, Q).
    pub grids: Vec<(usize, usize)>,
    /// Line 13: residual threshold (HPL passes below it).
    pub threshold: f64,
    /// Lines 14-15.
    pub pfacts: Vec<Fact>,
    /// Lines 16-17.
    pub nbmins: Vec<usize>,
    /// Lines 18-19.
    pub ndivs: Vec<usize>,
    /// Lines 20-21.
    pub rfacts: Vec<Fact>,
    /// Lines 22-23.
    pub bcasts: Vec<Bcast>,
    /// Lines 24-25: look-ahead depths.
    pub depths: Vec<usize>,
    /// Line 26.
    pub swap: Swap,
    /// Line 27: swapping threshold in columns (for `Swap::Mix`).
    pub swap_threshold: usize,
    /// Line 28: L1 stored not transposed.
    pub l1_notrans: bool,
    /// Line 29: U stored not transposed.
    pub u_notrans: bool,
    /// Line 30: equilibration.
    pub equil: bool,
    /// Line 31: memory alignment in doubles.
    pub align: usize,
    /// Lines 33-34: additional PTRANS matrix sizes (before HPCC's filtering).
    pub ptrans_ns: Vec<usize>,
    /// Lines 35-36: additional PTRANS block sizes.
    pub ptrans_nbs: Vec<usize>,
}

impl HpccInput {
    /// HPCC's defaults (`HPCC_Defaults`) for a problem of order `n` on a
    /// `p` x `q` grid: NB=80, column-major mapping, right-looking panels with
    /// Crout recursion, NBMIN=4, NDIV=2, 1-ring-modified broadcast, depth 1,
    /// mixed swapping with threshold 64.
    pub fn defaults(n: usize, p: usize, q: usize) -> Self {
        HpccInput {
            hpl_output_name: "HPL.out".into(),
            device_out: 8,
            ns: vec![n],
            nbs: vec![DEFAULT_NB],
            pmap: Pmap::ColumnMajor,
            grids: vec![(p, q)],
            threshold: 16.0,
            pfacts: vec![Fact::Right],
            nbmins: vec![4],
            ndivs: vec![2],
            rfacts: vec![Fact::Crout],
            bcasts: vec![Bcast::OneRingModified],
            depths: vec![1],
            swap: Swap::Mix,
            swap_threshold: 64,
            l1_notrans: false,
            u_notrans: false,
            equil: true,
            align: 8,
            ptrans_ns: Vec::new(),
            ptrans_nbs: Vec::new(),
        }
    }

    /// The largest problem size listed.
    pub fn max_n(&self) -> usize {
        self.ns.iter().copied().max().unwrap_or(0)
    }

    /// Fewest and most ranks any listed grid uses (HPCC's `HPLMinProcs` and
    /// `HPLMaxProcs`).
    pub fn grid_procs_range(&self) -> (usize, usize) {
        let procs = self.grids.iter().map(|(p, q)| p * q);
        (procs.clone().min().unwrap_or(1), procs.max().unwrap_or(1))
    }

    /// PTRANS's matrix sizes as HPCC derives them (`HPCC_InputFileInit`):
    /// the file's additional sizes (lines 33-34) that are at least
    /// `0.9486 * max N / 2` (so that PTRANS's two matrices use at least 90%
    /// of HPL's memory), in the file's order, then each HPL N halved.
    pub fn ptrans_sizes(&self) -> Vec<usize> {
        let floor = 0.9486 * self.max_n() as f64 * 0.5;
        self.ptrans_ns
            .iter()
            .copied()
            .filter(|&n| n as f64 >= floor)
            .chain(self.ns.iter().map(|n| n / 2))
            .collect()
    }

    /// PTRANS's block sizes as HPCC derives them: the file's additional
    /// block sizes (lines 35-36), then HPL's NBs.
    pub fn ptrans_block_sizes(&self) -> Vec<usize> {
        self.ptrans_nbs.iter().chain(&self.nbs).copied().collect()
    }

    /// HPCC's `HPLMaxProcMem`: bytes of the largest HPL matrix per process
    /// of the smallest grid, `8 N^2 / (P Q)`. STREAM, RandomAccess and FFT
    /// size themselves from it.
    pub fn hpl_max_proc_mem(&self) -> u64 {
        let n = self.max_n() as u64;
        let (min_procs, _) = self.grid_procs_range();
        // Saturates rather than wraps for absurd N, so the memory check
        // refuses it instead of seeing a small size.
        n.saturating_mul(n).saturating_mul(8) / (min_procs.max(1) as u64)
    }
}

/// HPCC's default block size.
pub const DEFAULT_NB: usize = 80;

/// Parse `hpccinf.txt` from `path`.
pub fn parse_file(path: &Path) -> Result<HpccInput, InputError> {
    let text = std::fs::read(path).map_err(|e| InputError::Unreadable {
        file: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    parse(path, &String::from_utf8_lossy(&text))
}

/// Parse the text of an `hpccinf.txt`; `file` names it in errors.
pub fn parse(file: &Path, text: &str) -> Result<HpccInput, InputError> {
    let r = Reader {
        file,
        lines: text.lines().collect(),
    };

    let hpl_output_name = r.token(3, "HPL's output file name")?.to_string();
    let device_out = r.int(4, "the output device number")?;

    let ns = r.list(5, "N", |v| v >= 1, "an integer >= 1")?;
    let nbs = r.list(7, "NB", |v| v >= 1, "an integer >= 1")?;
    let pmap = match r.int(9, "PMAP (0=row-major, 1=column-major)")? {
        0 => Pmap::RowMajor,
        1 => Pmap::ColumnMajor,
        v => return Err(r.bad(9, "PMAP 0 (row-major) or 1 (column-major)", v)),
    };
    let ngrids = r.count(10, "number of process grids")?;
    let ps = r.values(11, "Ps", ngrids, |v| v >= 1, "an integer >= 1")?;
    let qs = r.values(12, "Qs", ngrids, |v| v >= 1, "an integer >= 1")?;
    let grids = ps.into_iter().zip(qs).collect();

    let threshold = r.float(13, "the residual threshold")?;
    if !threshold.is_finite() || threshold <= 0.0 {
        return Err(r.bad(
            13,
            "a finite residual threshold > 0",
            r.first(13).unwrap_or(""),
        ));
    }

    let pfacts = r
        .list(14, "PFACT", |v| v <= 2, "0 (left), 1 (Crout) or 2 (right)")?
        .into_iter()
        .map(fact)
        .collect();
    let nbmins = r.list(16, "NBMIN", |v| v >= 1, "an integer >= 1")?;
    let ndivs = r.list(18, "NDIV", |v| v >= 2, "an integer >= 2")?;
    let rfacts = r
        .list(20, "RFACT", |v| v <= 2, "0 (left), 1 (Crout) or 2 (right)")?
        .into_iter()
        .map(fact)
        .collect();
    let bcasts = r
        .list(22, "BCAST", |v| v <= 5, "a broadcast code 0..5")?
        .into_iter()
        .map(|v| match v {
            0 => Bcast::OneRing,
            1 => Bcast::OneRingModified,
            2 => Bcast::TwoRing,
            3 => Bcast::TwoRingModified,
            4 => Bcast::Long,
            _ => Bcast::LongModified,
        })
        .collect();
    let depths = r.list(24, "DEPTH", |_| true, "an integer >= 0")?;
    let swap = match r.int(26, "SWAP (0=bin-exch, 1=long, 2=mix)")? {
        0 => Swap::BinaryExchange,
        1 => Swap::SpreadRoll,
        2 => Swap::Mix,
        v => return Err(r.bad(26, "SWAP 0 (binary exchange), 1 (long) or 2 (mix)", v)),
    };
    let swap_threshold = r.int(27, "the swapping threshold")?.max(0) as usize;
    let l1_notrans = r.flag(28, "L1 form: 0 (transposed) or 1 (not transposed)")?;
    let u_notrans = r.flag(29, "U form: 0 (transposed) or 1 (not transposed)")?;
    let equil = r.flag(30, "equilibration: 0 (no) or 1 (yes)")?;
    let align = r.int(31, "memory alignment in doubles")?;
    if align < 1 {
        return Err(r.bad(31, "a memory alignment >= 1", align));
    }
    if r.lines.len() < HPL_LINES {
        return Err(r.truncated(HPL_LINES, "the separator line"));
    }

    // Lines 33-36 are optional as a whole, as in HPCC; once started they must
    // be complete.
    let (ptrans_ns, ptrans_nbs) = if r.lines.len() > HPL_LINES
        && !r.lines[HPL_LINES..].iter().all(|l| l.trim().is_empty())
    {
        let ns = r.optional_list(33, "additional PTRANS sizes", |v| v >= 1, "an integer >= 1")?;
        let nbs = r.optional_list(
            35,
            "additional PTRANS block sizes",
            |v| v >= 1,
            "an integer >= 1",
        )?;
        (ns, nbs)
    } else {
        (Vec::new(), Vec::new())
    };

    Ok(HpccInput {
        hpl_output_name,
        device_out,
        ns,
        nbs,
        pmap,
        grids,
        threshold,
        pfacts,
        nbmins,
        ndivs,
        rfacts,
        bcasts,
        depths,
        swap,
        swap_threshold,
        l1_notrans,
        u_notrans,
        equil,
        align: align as usize,
        ptrans_ns,
        ptrans_nbs,
    })
}

fn fact(v: usize) -> Fact {
    match v {
        0 => Fact::Left,
        1 => Fact::Crout,
        _ => Fact::Right,
    }
}

struct Reader<'a> {
    file: &'a Path,
    lines: Vec<&'a str>,
}

impl Reader<'_> {
    fn bad(&self, line: usize, expected: &str, found: impl std::fmt::Display) -> InputError {
        InputError::Bad {
            file: self.file.to_path_buf(),
            line,
            expected: expected.to_string(),
            found: format!("'{found}'"),
        }
    }

    fn truncated(&self, line: usize, expected: &str) -> InputError {
        InputError::Truncated {
            file: self.file.to_path_buf(),
            lines: self.lines.len(),
            line,
            expected: expected.to_string(),
        }
    }

    fn line(&self, line: usize, what: &str) -> Result<&str, InputError> {
        self.lines
            .get(line - 1)
            .copied()
            .ok_or_else(|| self.truncated(line, what))
    }

    fn first(&self, line: usize) -> Option<&str> {
        self.lines.get(line - 1)?.split_whitespace().next()
    }

    fn token(&self, line: usize, what: &str) -> Result<&str, InputError> {
        self.line(line, what)?
            .split_whitespace()
            .next()
            .ok_or_else(|| self.bad(line, what, "an empty line"))
    }

    fn int(&self, line: usize, what: &str) -> Result<i64, InputError> {
        let tok = self.token(line, what)?;
        tok.parse()
            .map_err(|_| self.bad(line, &format!("{what} (an integer)"), tok))
    }

    fn float(&self, line: usize, what: &str) -> Result<f64, InputError> {
        let tok = self.token(line, what)?;
        tok.parse()
            .map_err(|_| self.bad(line, &format!("{what} (a number)"), tok))
    }

    fn flag(&self, line: usize, what: &str) -> Result<bool, InputError> {
        match self.int(line, what)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(self.bad(line, what, v)),
        }
    }

    /// A count line: 1..=MAX_PARAM.
    fn count(&self, line: usize, what: &str) -> Result<usize, InputError> {
        let v = self.int(line, what)?;
        if !(1..=MAX_PARAM as i64).contains(&v) {
            return Err(self.bad(line, &format!("{what} between 1 and {MAX_PARAM}"), v));
        }
        Ok(v as usize)
    }

    /// `count` values from the first tokens of `line`, each checked by `ok`.
    fn values(
        &self,
        line: usize,
        what: &str,
        count: usize,
        ok: impl Fn(usize) -> bool,
        rule: &str,
    ) -> Result<Vec<usize>, InputError> {
        let text = self.line(line, &format!("{count} value(s) of {what}"))?;
        let toks: Vec<&str> = text.split_whitespace().collect();
        if toks.len() < count {
            return Err(self.bad(
                line,
                &format!(
                    "{count} value(s) of {what} (the count on line {})",
                    line - 1
                ),
                format!("{} value(s): {}", toks.len(), text.trim()),
            ));
        }
        toks[..count]
            .iter()
            .map(|tok| match tok.parse::<i64>() {
                Ok(v) if v >= 0 && ok(v as usize) => Ok(v as usize),
                _ => Err(self.bad(line, &format!("each {what} to be {rule}"), tok)),
            })
            .collect()
    }

    /// A count line followed by its values line.
    fn list(
        &self,
        line: usize,
        what: &str,
        ok: impl Fn(usize) -> bool,
        rule: &str,
    ) -> Result<Vec<usize>, InputError> {
        let count = self.count(line, &format!("number of {what} values"))?;
        self.values(line + 1, what, count, ok, rule)
    }

    /// PTRANS's count line (0 allowed) followed by its values line.
    fn optional_list(
        &self,
        line: usize,
        what: &str,
        ok: impl Fn(usize) -> bool,
        rule: &str,
    ) -> Result<Vec<usize>, InputError> {
        let v = self.int(line, &format!("number of {what}"))?;
        if !(0..=MAX_PARAM as i64).contains(&v) {
            return Err(self.bad(
                line,
                &format!("number of {what} between 0 and {MAX_PARAM}"),
                v,
            ));
        }
        if v == 0 {
            return Ok(Vec::new());
        }
        self.values(line + 1, what, v as usize, ok, rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `hpccinf.txt` the reference outputs in shared/reference were made with.
    const REFERENCE: &str = "\
HPLinpack benchmark input file
Innovative Computing Laboratory, University of Tennessee
HPL.out      output file name (if any)
8            device out (6=stdout,7=stderr,file)
1            # of problems sizes (N)
8000         Ns
1            # of NBs
192          NBs
0            PMAP process mapping (0=Row-,1=Column-major)
1            # of process grids (P x Q)
1            Ps
2            Qs
16.0         threshold
1            # of panel fact
2            PFACTs (0=left, 1=Crout, 2=Right)
1            # of recursive stopping criterium
4            NBMINs (>= 1)
1            # of panels in recursion
2            NDIVs
1            # of recursive panel fact.
1            RFACTs (0=left, 1=Crout, 2=Right)
1            # of broadcast
1            BCASTs (0=1rg,1=1rM,2=2rg,3=2rM,4=Lng,5=LnM)
1            # of lookahead depth
1            DEPTHs (>=0)
2            SWAP (0=bin-exch,1=long,2=mix)
64           swapping threshold
0            L1 in (0=transposed,1=no-transposed) form
0            U  in (0=transposed,1=no-transposed) form
1            Equilibration (0=no,1=yes)
8            memory alignment in double (> 0)
##### This line (no. 32) is ignored (it serves as a separator). ######
0                      \t\tNumber of additional problem sizes for PTRANS
1200 10000 30000        \tvalues of N
0                       \tnumber of additional blocking sizes for PTRANS
40 9 8 13 13 20 16 32 64       \tvalues of NB
";

    fn with_line(line: usize, text: &str) -> String {
        REFERENCE
            .lines()
            .enumerate()
            .map(|(i, l)| if i + 1 == line { text } else { l })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn err(text: &str) -> InputError {
        parse(Path::new("hpccinf.txt"), text).unwrap_err()
    }

    fn bad_line(text: &str) -> (usize, String) {
        match err(text) {
            InputError::Bad { line, expected, .. } => (line, expected),
            other => panic!("expected a bad-line error, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_reference_file() {
        let inp = parse(Path::new("hpccinf.txt"), REFERENCE).unwrap();
        assert_eq!(inp.ns, vec![8000]);
        assert_eq!(inp.nbs, vec![192]);
        assert_eq!(inp.pmap, Pmap::RowMajor);
        assert_eq!(inp.grids, vec![(1, 2)]);
        assert_eq!(inp.threshold, 16.0);
        assert_eq!(inp.pfacts, vec![Fact::Right]);
        assert_eq!(inp.nbmins, vec![4]);
        assert_eq!(inp.ndivs, vec![2]);
        assert_eq!(inp.rfacts, vec![Fact::Crout]);
        assert_eq!(inp.bcasts, vec![Bcast::OneRingModified]);
        assert_eq!(inp.depths, vec![1]);
        assert_eq!(inp.swap, Swap::Mix);
        assert_eq!(inp.swap_threshold, 64);
        assert!(!inp.l1_notrans && !inp.u_notrans && inp.equil);
        assert_eq!(inp.align, 8);
        assert!(inp.ptrans_ns.is_empty() && inp.ptrans_nbs.is_empty());
        // 8 N^2 / (P Q): the figure STREAM's vector size comes from.
        assert_eq!(inp.hpl_max_proc_mem(), 8 * 8000 * 8000 / 2);
    }

    #[test]
    fn reads_lists_ptrans_lines_and_ignores_trailing_comments() {
        let mut text = with_line(5, "3   # of N");
        text = text.replace("8000         Ns", "1000 2000 3001 4000 Ns and a comment");
        text = text.replace("0                      \t\tNumber", "2 Number");
        let inp = parse(Path::new("x"), &text).unwrap();
        assert_eq!(inp.ns, vec![1000, 2000, 3001]);
        assert_eq!(inp.max_n(), 3001);
        assert_eq!(inp.ptrans_ns, vec![1200, 10000]);
        assert!(inp.ptrans_nbs.is_empty());
    }

    #[test]
    fn ptrans_sizes_follow_hpcc() {
        // HPL Ns 1000, 3001: the floor is 0.9486 * 3001 / 2 = 1423.37.
        let mut text = with_line(5, "2   # of N");
        text = text.replace("8000         Ns", "1000 3001 Ns");
        text = text.replace("0                      \t\tNumber", "4 Number");
        text = text.replace("1200 10000 30000", "1200 1424 1423 5000");
        text = text.replace("0                       \tnumber", "2 number");
        let inp = parse(Path::new("x"), &text).unwrap();
        assert_eq!(inp.ptrans_ns, vec![1200, 1424, 1423, 5000]);
        assert_eq!(inp.ptrans_sizes(), vec![1424, 5000, 500, 1500]);
        assert_eq!(inp.ptrans_nbs, vec![40, 9]);
        assert_eq!(inp.ptrans_block_sizes(), vec![40, 9, 192]);
        // The reference file: no additional sizes.
        let inp = parse(Path::new("x"), REFERENCE).unwrap();
        assert_eq!(inp.ptrans_sizes(), vec![4000]);
        assert_eq!(inp.ptrans_block_sizes(), vec![192]);
    }

    #[test]
    fn ptrans_lines_are_refused_with_line() {
        let text = REFERENCE.replace("0                      \t\tNumber", "x Number");
        assert_eq!(bad_line(&text).0, 33);
        let text = REFERENCE.replace("0                      \t\tNumber", "4 Number");
        assert_eq!(bad_line(&text).0, 34);
        let text = REFERENCE.replace("0                       \tnumber", "-1 number");
        assert_eq!(bad_line(&text).0, 35);
        let text = REFERENCE
            .replace("0                       \tnumber", "2 number")
            .replace("40 9 8", "40 0 8");
        assert_eq!(bad_line(&text).0, 36);
    }

    #[test]
    fn ptrans_lines_are_optional() {
        let text: String = REFERENCE.lines().take(32).collect::<Vec<_>>().join("\n");
        assert!(parse(Path::new("x"), &text).unwrap().ptrans_ns.is_empty());
    }

    #[test]
    fn missing_file_names_the_file() {
        let e = parse_file(Path::new("/nonexistent/hpccinf.txt")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/nonexistent/hpccinf.txt"), "{msg}");
    }

    #[test]
    fn truncated_file_names_the_missing_line() {
        let text: String = REFERENCE.lines().take(20).collect::<Vec<_>>().join("\n");
        match err(&text) {
            InputError::Truncated { line, lines, .. } => {
                assert_eq!(lines, 20);
                assert_eq!(line, 21);
            }
            other => panic!("{other:?}"),
        }
        let text: String = REFERENCE.lines().take(31).collect::<Vec<_>>().join("\n");
        assert!(matches!(err(&text), InputError::Truncated { line: 32, .. }));
    }

    #[test]
    fn non_numbers_are_refused_with_line() {
        assert_eq!(bad_line(&with_line(6, "80x0 Ns")).0, 6);
        assert_eq!(bad_line(&with_line(13, "sixteen threshold")).0, 13);
        assert_eq!(bad_line(&with_line(5, "one # of N")).0, 5);
        let msg = err(&with_line(8, "abc NBs")).to_string();
        assert!(msg.starts_with("hpccinf.txt:8: expected"), "{msg}");
        assert!(msg.contains("'abc'"), "{msg}");
    }

    #[test]
    fn count_larger_than_values_given() {
        let (line, expected) = bad_line(&with_line(5, "3 # of N"));
        assert_eq!(line, 6);
        assert!(expected.contains("3 value(s) of N"), "{expected}");
        assert_eq!(bad_line(&with_line(10, "2 grids")).0, 11);
    }

    #[test]
    fn counts_outside_hpl_limits() {
        assert_eq!(bad_line(&with_line(5, "0 # of N")).0, 5);
        assert_eq!(bad_line(&with_line(7, "21 # of NB")).0, 7);
    }

    #[test]
    fn out_of_range_values() {
        assert_eq!(bad_line(&with_line(6, "0 Ns")).0, 6);
        assert_eq!(bad_line(&with_line(6, "-5 Ns")).0, 6);
        assert_eq!(bad_line(&with_line(8, "0 NBs")).0, 8);
        assert_eq!(bad_line(&with_line(11, "0 Ps")).0, 11);
        assert_eq!(bad_line(&with_line(12, "-1 Qs")).0, 12);
        assert_eq!(bad_line(&with_line(13, "0.0 threshold")).0, 13);
        assert_eq!(bad_line(&with_line(13, "-16 threshold")).0, 13);
        assert_eq!(bad_line(&with_line(13, "inf threshold")).0, 13);
        assert_eq!(bad_line(&with_line(13, "NaN threshold")).0, 13);
        assert_eq!(bad_line(&with_line(15, "3 PFACT")).0, 15);
        assert_eq!(bad_line(&with_line(19, "1 NDIV")).0, 19);
        assert_eq!(bad_line(&with_line(23, "6 BCAST")).0, 23);
        assert_eq!(bad_line(&with_line(9, "2 PMAP")).0, 9);
        assert_eq!(bad_line(&with_line(26, "3 SWAP")).0, 26);
        assert_eq!(bad_line(&with_line(31, "0 align")).0, 31);
    }

    #[test]
    fn defaults_are_hpccs() {
        let d = HpccInput::defaults(3520, 1, 2);
        assert_eq!(d.nbs, vec![80]);
        assert_eq!(d.pmap, Pmap::ColumnMajor);
        assert_eq!(d.threshold, 16.0);
        assert_eq!(d.grid_procs_range(), (2, 2));
    }
}
