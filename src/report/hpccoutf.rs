//! HPCC's `hpccoutf.txt`: a header, one `Begin of <Test> section.` /
//! `End of <Test> section.` block per test, and the `Summary` block of
//! `key=value` lines with HPCC 1.5's exact keys, order and C formats
//! (`src/io.c`, `HPCC_Finalize`), so that existing HPCC parsers read it
//! unchanged. Keys of tests that did not run keep HPCC's "not run" values
//! (mostly -1).

use std::time::{SystemTime, UNIX_EPOCH};

use super::SummaryValue::{self, Int, Text, E, G};

const RULE: &str = "########################################################################\n";

/// Facts about the job the summary needs besides the tests' own keys.
pub struct JobFacts {
    pub comm_world_procs: usize,
    pub mpi_wtick: f64,
    pub hpl_max_procs: usize,
    pub hpl_min_procs: usize,
    pub hostname: String,
}

/// The output file being built; [`HpccOutf::text`] is written out after
/// every section so that a crash keeps the finished sections.
pub struct HpccOutf {
    text: String,
}

impl HpccOutf {
    pub fn new(facts: &JobFacts, input_source: &str) -> Self {
        let (secs, stamp) = now();
        let text = format!(
            "{RULE}This is rhpcc {ver}, a Rust implementation of the\n\
             DARPA/DOE HPC Challenge Benchmark version 1.5.0 (HPCC by Jack Dongarra and Piotr Luszczek).\n\
             Parameters: {input_source}\n\n\
             Current time ({secs}) is {stamp}\n\n\
             Hostname: '{host}'\n{RULE}",
            ver = env!("CARGO_PKG_VERSION"),
            host = facts.hostname,
        );
        HpccOutf { text }
    }

    /// Append one test's section.
    pub fn push_section(&mut self, name: &str, body: &str) {
        let (secs, stamp) = now();
        self.text.push_str(&format!("Begin of {name} section.\n"));
        self.text.push_str(body);
        if !body.is_empty() && !body.ends_with('\n') {
            self.text.push('\n');
        }
        self.text.push_str(&format!(
            "Current time ({secs}) is {stamp}\n\nEnd of {name} section.\n"
        ));
    }

    /// Append the summary block and the closing lines.
    pub fn finish(&mut self, facts: &JobFacts, values: &[(&str, SummaryValue)], success: bool) {
        self.text.push_str(&summary(facts, values, success));
        let (secs, stamp) = now();
        self.text.push_str(&format!(
            "{RULE}End of HPC Challenge tests.\nCurrent time ({secs}) is {stamp}\n\n{RULE}"
        ));
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// HPCC's summary keys in HPCC's order with their "not run" values. Keys
/// that depend on the job (`Success`, `CommWorldProcs`, ...) are filled in
/// by [`summary`].
fn defaults() -> Vec<(&'static str, SummaryValue)> {
    let t = |s: &str| Text(s.to_string());
    let mut v: Vec<(&'static str, SummaryValue)> = vec![
        ("VersionMajor", Int(1)),
        ("VersionMinor", Int(5)),
        ("VersionMicro", Int(0)),
        ("VersionRelease", t("f")),
        ("LANG", t("C")),
        ("Success", Int(0)),
        ("sizeof_char", Int(1)),
        ("sizeof_short", Int(2)),
        ("sizeof_int", Int(4)),
        ("sizeof_long", Int(8)),
        ("sizeof_void_ptr", Int(8)),
        ("sizeof_size_t", Int(8)),
        ("sizeof_float", Int(4)),
        ("sizeof_double", Int(8)),
        ("sizeof_s64Int", Int(8)),
        ("sizeof_u64Int", Int(8)),
        ("sizeof_struct_double_double", Int(16)),
        ("CommWorldProcs", Int(0)),
        ("MPI_Wtick", E(0.0)),
        ("HPL_Tflops", G(-1.0)),
        ("HPL_time", G(-1.0)),
        ("HPL_eps", G(-1.0)),
        ("HPL_RnormI", G(-1.0)),
        ("HPL_Anorm1", G(-1.0)),
        ("HPL_AnormI", G(-1.0)),
        ("HPL_Xnorm1", G(-1.0)),
        ("HPL_XnormI", G(-1.0)),
        ("HPL_BnormI", G(-1.0)),
        ("HPL_N", Int(-1)),
        ("HPL_NB", Int(-1)),
        ("HPL_nprow", Int(-1)),
        ("HPL_npcol", Int(-1)),
        ("HPL_depth", Int(-1)),
        ("HPL_nbdiv", Int(-1)),
        ("HPL_nbmin", Int(-1)),
        ("HPL_cpfact", t("-")),
        ("HPL_crfact", t("-")),
        ("HPL_ctop", t("-")),
        ("HPL_order", t("-")),
    ];
    let f64_mach = [
        ("HPL_dMACH_EPS", f64::EPSILON / 2.0),
        ("HPL_dMACH_SFMIN", f64::MIN_POSITIVE),
        ("HPL_dMACH_BASE", 2.0),
        ("HPL_dMACH_PREC", f64::EPSILON),
        ("HPL_dMACH_MLEN", f64::MANTISSA_DIGITS as f64),
        ("HPL_dMACH_RND", 1.0),
        ("HPL_dMACH_EMIN", f64::MIN_EXP as f64),
        ("HPL_dMACH_RMIN", f64::MIN_POSITIVE),
        ("HPL_dMACH_EMAX", f64::MAX_EXP as f64),
        ("HPL_dMACH_RMAX", f64::MAX),
        ("HPL_sMACH_EPS", (f32::EPSILON / 2.0) as f64),
        ("HPL_sMACH_SFMIN", f32::MIN_POSITIVE as f64),
        ("HPL_sMACH_BASE", 2.0),
        ("HPL_sMACH_PREC", f32::EPSILON as f64),
        ("HPL_sMACH_MLEN", f32::MANTISSA_DIGITS as f64),
        ("HPL_sMACH_RND", 1.0),
        ("HPL_sMACH_EMIN", f32::MIN_EXP as f64),
        ("HPL_sMACH_RMIN", f32::MIN_POSITIVE as f64),
        ("HPL_sMACH_EMAX", f32::MAX_EXP as f64),
        ("HPL_sMACH_RMAX", f32::MAX as f64),
        ("dweps", f64::EPSILON / 2.0),
        ("sweps", (f32::EPSILON / 2.0) as f64),
    ];
    v.extend(f64_mach.iter().map(|&(k, x)| (k, E(x))));
    let g = |k| (k, G(-1.0));
    let i = |k| (k, Int(-1));
    v.extend([
        i("HPLMaxProcs"),
        i("HPLMinProcs"),
        i("DGEMM_N"),
        g("StarDGEMM_Gflops"),
        g("SingleDGEMM_Gflops"),
        g("PTRANS_GBs"),
        g("PTRANS_time"),
        g("PTRANS_residual"),
        i("PTRANS_n"),
        i("PTRANS_nb"),
        i("PTRANS_nprow"),
        i("PTRANS_npcol"),
        i("MPIRandomAccess_LCG_N"),
        g("MPIRandomAccess_LCG_time"),
        g("MPIRandomAccess_LCG_CheckTime"),
        i("MPIRandomAccess_LCG_Errors"),
        g("MPIRandomAccess_LCG_ErrorsFraction"),
        i("MPIRandomAccess_LCG_ExeUpdates"),
        g("MPIRandomAccess_LCG_GUPs"),
        g("MPIRandomAccess_LCG_TimeBound"),
        i("MPIRandomAccess_LCG_Algorithm"),
        i("MPIRandomAccess_N"),
        g("MPIRandomAccess_time"),
        g("MPIRandomAccess_CheckTime"),
        i("MPIRandomAccess_Errors"),
        g("MPIRandomAccess_ErrorsFraction"),
        i("MPIRandomAccess_ExeUpdates"),
        g("MPIRandomAccess_GUPs"),
        g("MPIRandomAccess_TimeBound"),
        i("MPIRandomAccess_Algorithm"),
        i("RandomAccess_LCG_N"),
        g("StarRandomAccess_LCG_GUPs"),
        g("SingleRandomAccess_LCG_GUPs"),
        i("RandomAccess_N"),
        g("StarRandomAccess_GUPs"),
        g("SingleRandomAccess_GUPs"),
        i("STREAM_VectorSize"),
        ("STREAM_Threads", Int(1)),
        g("StarSTREAM_Copy"),
        g("StarSTREAM_Scale"),
        g("StarSTREAM_Add"),
        g("StarSTREAM_Triad"),
        g("SingleSTREAM_Copy"),
        g("SingleSTREAM_Scale"),
        g("SingleSTREAM_Add"),
        g("SingleSTREAM_Triad"),
        // Printed by HPCC after 1.5.0 (its commit "added printing FFT API
        // used"), absent from Debian's 1.5.0 that wrote the reference files;
        // a property of the build, so printed whether FFT ran or not.
        ("FFT_API", t(rhpcc_kernels::fft::API)),
        i("FFT_N"),
        g("StarFFT_Gflops"),
        g("SingleFFT_Gflops"),
        i("MPIFFT_N"),
        g("MPIFFT_Gflops"),
        g("MPIFFT_maxErr"),
        i("MPIFFT_Procs"),
        g("MaxPingPongLatency_usec"),
        g("RandomlyOrderedRingLatency_usec"),
        g("MinPingPongBandwidth_GBytes"),
        g("NaturallyOrderedRingBandwidth_GBytes"),
        g("RandomlyOrderedRingBandwidth_GBytes"),
        g("MinPingPongLatency_usec"),
        g("AvgPingPongLatency_usec"),
        g("MaxPingPongBandwidth_GBytes"),
        g("AvgPingPongBandwidth_GBytes"),
        g("NaturallyOrderedRingLatency_usec"),
        i("FFTEnblk"),
        i("FFTEnp"),
        i("FFTEl2size"),
        ("M_OPENMP", Int(-1)),
        ("omp_get_num_threads", Int(0)),
        ("omp_get_max_threads", Int(0)),
        ("omp_get_num_procs", Int(0)),
        g("MemProc"),
        i("MemSpec"),
        g("MemVal"),
    ]);
    for k in [
        "MPIFFT_time0",
        "MPIFFT_time1",
        "MPIFFT_time2",
        "MPIFFT_time3",
        "MPIFFT_time4",
        "MPIFFT_time5",
        "MPIFFT_time6",
    ] {
        v.push((k, G(0.0)));
    }
    for k in [
        "CPS_HPCC_FFT_235",
        "CPS_HPCC_FFTW_ESTIMATE",
        "CPS_HPCC_MEMALLCTR",
        "CPS_HPL_USE_GETPROCESSTIMES",
        "CPS_RA_SANDIA_NOPT",
        "CPS_RA_SANDIA_OPT2",
        "CPS_USING_FFTW",
    ] {
        v.push((k, Int(0)));
    }
    v
}

/// Every summary key rhpcc prints, in order.
pub fn summary_keys() -> Vec<&'static str> {
    defaults().into_iter().map(|(k, _)| k).collect()
}

/// The `Begin of Summary section.` block. `values` override the defaults;
/// a key not in HPCC's list is a programming error.
pub fn summary(facts: &JobFacts, values: &[(&str, SummaryValue)], success: bool) -> String {
    let mut table = defaults();
    let mut set = |key: &str, value: SummaryValue| {
        let slot = table
            .iter_mut()
            .find(|(k, _)| *k == key)
            .unwrap_or_else(|| panic!("'{key}' is not an HPCC summary key"));
        slot.1 = value;
    };
    set("Success", Int(success as i64));
    set("CommWorldProcs", Int(facts.comm_world_procs as i64));
    set("MPI_Wtick", E(facts.mpi_wtick));
    set("HPLMaxProcs", Int(facts.hpl_max_procs as i64));
    set("HPLMinProcs", Int(facts.hpl_min_procs as i64));
    for (k, v) in values {
        set(k, v.clone());
    }
    let mut out = String::from("Begin of Summary section.\n");
    for (k, v) in &table {
        out.push_str(&format!("{k}={}\n", v.render()));
    }
    out.push_str("End of Summary section.\n");
    out
}

/// Seconds since the epoch and C's `ctime` spelling of them (UTC), without
/// `ctime`'s trailing newline.
fn now() -> (u64, String) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (secs, ctime_utc(secs))
}

/// `ctime` format, e.g. `Tue Nov 24 19:07:20 2026`, for UTC.
pub fn ctime_utc(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[(days.rem_euclid(7)) as usize],
        MONTHS[(m - 1) as usize],
        d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        y
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary block of the reference run in shared/reference
    /// (N=1000, 2 ranks), keys in order.
    const REFERENCE_KEYS: &str = include_str!("../../tests/data/reference_summary_keys.txt");

    fn facts() -> JobFacts {
        JobFacts {
            comm_world_procs: 2,
            mpi_wtick: 1e-9,
            hpl_max_procs: 2,
            hpl_min_procs: 2,
            hostname: "vm".into(),
        }
    }

    #[test]
    fn keys_and_order_match_the_reference() {
        // The reference's keys plus HPCC's later FFT_API, before FFT_N.
        let mut reference: Vec<&str> = REFERENCE_KEYS.lines().collect();
        let at = reference.iter().position(|k| *k == "FFT_N").unwrap();
        reference.insert(at, "FFT_API");
        assert_eq!(summary_keys(), reference);
    }

    #[test]
    fn machine_constants_print_as_the_reference() {
        let s = summary(&facts(), &[], true);
        for line in [
            "Success=1",
            "CommWorldProcs=2",
            "MPI_Wtick=1.000000e-09",
            "HPL_dMACH_EPS=1.110223e-16",
            "HPL_dMACH_SFMIN=2.225074e-308",
            "HPL_dMACH_PREC=2.220446e-16",
            "HPL_dMACH_MLEN=5.300000e+01",
            "HPL_dMACH_EMIN=-1.021000e+03",
            "HPL_dMACH_EMAX=1.024000e+03",
            "HPL_dMACH_RMAX=1.797693e+308",
            "HPL_sMACH_EPS=5.960464e-08",
            "HPL_sMACH_SFMIN=1.175494e-38",
            "HPL_sMACH_PREC=1.192093e-07",
            "HPL_sMACH_EMIN=-1.250000e+02",
            "HPL_sMACH_RMAX=3.402823e+38",
            "dweps=1.110223e-16",
            "sweps=5.960464e-08",
            "HPL_Tflops=-1",
            "HPL_cpfact=-",
            "STREAM_Threads=1",
            "MPIFFT_time6=0",
            "FFT_API=rustfft 6.4.1",
        ] {
            assert!(s.lines().any(|l| l == line), "missing line {line}");
        }
    }

    #[test]
    fn test_values_override_defaults_and_failure_clears_success() {
        let s = summary(
            &facts(),
            &[
                ("StarSTREAM_Triad", G(29.433939)),
                ("STREAM_VectorSize", Int(166666)),
            ],
            false,
        );
        assert!(s.contains("\nStarSTREAM_Triad=29.4339\n"));
        assert!(s.contains("\nSTREAM_VectorSize=166666\n"));
        assert!(s.contains("\nSuccess=0\n"));
    }

    #[test]
    #[should_panic(expected = "not an HPCC summary key")]
    fn unknown_key_is_caught() {
        summary(&facts(), &[("NoSuchKey", Int(1))], true);
    }

    #[test]
    fn sections_are_delimited_as_hpcc_does() {
        let mut out = HpccOutf::new(&facts(), "test");
        out.push_section("StarSTREAM", "body line\n");
        out.finish(&facts(), &[], true);
        let t = out.text();
        let begin = t.find("Begin of StarSTREAM section.\nbody line\n").unwrap();
        let end = t.find("End of StarSTREAM section.\n").unwrap();
        assert!(begin < end);
        assert!(t.contains("Begin of Summary section.\n"));
        assert!(t.contains("End of Summary section.\n"));
    }

    #[test]
    fn ctime_matches_the_reference_stamp() {
        // "Current time (1795547239) is Tue Nov 24 19:07:19 2026" in the reference.
        assert_eq!(ctime_utc(1_795_547_239), "Tue Nov 24 19:07:19 2026");
        assert_eq!(ctime_utc(0), "Thu Jan  1 00:00:00 1970");
    }
}
