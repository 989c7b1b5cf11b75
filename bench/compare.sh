#!/usr/bin/env bash
# Side-by-side benchmark of the reference HPCC 1.5 (Debian `hpcc`, with Intel MKL
# from PyPI as its BLAS) against rhpcc. Runs the two alternately, rep by rep, each
# in a fresh temporary directory, keeps every raw output and writes a summary
# (see bench/README.md).
set -euo pipefail

USAGE="usage: bench/compare.sh --input FILE [--ranks N] [--reps R] [--rhpcc PATH]
                        [--rhpcc-args \"ARGS\"] [--out DIR] [--ref-only]
                        [--ref-blas mkl|openblas-skylakex]

  --input FILE        HPCC input file (hpccinf.txt format); required
  --ranks N           MPI ranks for both programs (default: nproc = $(nproc))
  --reps R            repetitions of each program, alternating (default: 5)
  --rhpcc PATH        rhpcc binary (default: target/release/rhpcc in the repo root)
  --rhpcc-args ARGS   extra arguments for rhpcc, split on whitespace
                      (e.g. \"--tests stream,latbw\")
  --out DIR           result folder (default: results/<date>-<host>-<input name>/
                      in the repo root)
  --ref-only          run only the reference (no rhpcc needed)
  --ref-blas KIND     the reference's BLAS: mkl (Intel MKL from PyPI, default)
                      or openblas-skylakex (Debian's OpenBLAS forced to its
                      AVX-512 kernels; faster than MKL on AVX-512 AMD CPUs)

Relative paths given as options are taken from the directory you call the
script from."

die() { printf 'compare.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

# Exact command line, for the summary.
INVOCATION="$(printf '%q ' "$0" "$@")"
INVOCATION="${INVOCATION% }"

CALLER_PWD="$PWD"
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"

# Absolute path of $1, taken relative to the caller's directory.
abspath() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$CALLER_PWD/$1" ;;
    esac
}

NPROC="$(nproc)"
INPUT=""
RANKS="$NPROC"
REPS=5
RHPCC=""
RHPCC_ARGS=""
OUT=""
REF_ONLY=0
REF_BLAS_KIND=mkl

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "option $1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --input) need_arg "$@"; INPUT="$(abspath "$2")"; shift 2 ;;
        --ranks) need_arg "$@"; RANKS="$2"; shift 2 ;;
        --reps) need_arg "$@"; REPS="$2"; shift 2 ;;
        --rhpcc) need_arg "$@"; RHPCC="$(abspath "$2")"; shift 2 ;;
        --rhpcc-args) [[ $# -ge 2 ]] || die "option $1 needs a value"; RHPCC_ARGS="$2"; shift 2 ;;
        --out) need_arg "$@"; OUT="$(abspath "$2")"; shift 2 ;;
        --ref-only) REF_ONLY=1; shift ;;
        --ref-blas) need_arg "$@"; REF_BLAS_KIND="$2"; shift 2 ;;
        -h | --help) printf '%s\n' "$USAGE"; exit 0 ;;
        *) printf '%s\n' "$USAGE" >&2; die "unknown argument: $1" ;;
    esac
done

[[ -n "$INPUT" ]] || { printf '%s\n' "$USAGE" >&2; die "--input is required"; }
[[ -f "$INPUT" ]] || die "input file not found: $INPUT"
[[ "$RANKS" =~ ^[1-9][0-9]*$ ]] || die "--ranks must be a positive integer, got '$RANKS'"
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer, got '$REPS'"
[[ "$REF_BLAS_KIND" == mkl || "$REF_BLAS_KIND" == openblas-skylakex ]] ||
    die "--ref-blas must be mkl or openblas-skylakex, got '$REF_BLAS_KIND'"
read -r -a RHPCC_ARGV <<<"$RHPCC_ARGS" || true

cd "$REPO_ROOT"

# ---------------------------------------------------------------- tools
if [[ $EUID -eq 0 ]]; then IS_ROOT=1; else IS_ROOT=0; fi

HPCC="$(command -v hpcc || true)"
if [[ -z "$HPCC" ]]; then
    if [[ $IS_ROOT -eq 1 ]]; then
        log "reference hpcc not found: installing the Debian package"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y hpcc
        HPCC="$(command -v hpcc || true)"
        [[ -n "$HPCC" ]] || die "apt-get installed hpcc but no hpcc binary is on PATH"
    else
        printf 'The reference is missing. Install it with:\n  sudo apt-get update && sudo apt-get install -y hpcc\n' >&2
        exit 1
    fi
fi
command -v mpirun >/dev/null || die "mpirun not found (Debian: apt-get install -y openmpi-bin)"
command -v python3 >/dev/null || die "python3 not found"

if [[ $REF_ONLY -eq 0 ]]; then
    [[ -n "$RHPCC" ]] || RHPCC="$REPO_ROOT/target/release/rhpcc"
    [[ -x "$RHPCC" ]] || die "rhpcc binary not found or not executable: $RHPCC (build it with 'cargo build --release', or pass --rhpcc PATH, or use --ref-only)"
fi

MPI_FLAGS=()
[[ $IS_ROOT -eq 1 ]] && MPI_FLAGS+=(--allow-run-as-root)
[[ $RANKS -gt $NPROC ]] && MPI_FLAGS+=(--oversubscribe)

# ---------------------------------------------------------------- output folder
if [[ -z "$OUT" ]]; then
    base="$REPO_ROOT/results/$(date +%F)-$(uname -n)-$(basename "$INPUT" .txt)"
    OUT="$base"
    n=2
    while [[ -e "$OUT" ]]; do OUT="$base-$n"; n=$((n + 1)); done
elif [[ -e "$OUT" && -n "$(ls -A "$OUT" 2>/dev/null)" ]]; then
    die "output folder $OUT exists and is not empty; pick another --out"
fi

# ---------------------------------------------------------------- BLAS for the reference
# setup_mkl / setup_openblas set REF_BLAS (a description), REF_X (the mpirun
# -x flags that carry the BLAS environment to the ranks) and CHECK_LOG (the
# file that proves which BLAS was loaded).

setup_mkl() {
    VENV="$BENCH_DIR/.venv"
    MKL_DIR="$BENCH_DIR/.mkl-blas"

    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating virtual environment $VENV"
        python3 -m venv "$VENV"
    fi
    shopt -s nullglob
    mkl_rt=("$VENV"/lib/libmkl_rt.so.[0-9]*)
    if [[ ${#mkl_rt[@]} -eq 0 ]]; then
        log "installing Intel MKL from PyPI into $VENV"
        "$VENV/bin/pip" install --disable-pip-version-check --quiet mkl
        mkl_rt=("$VENV"/lib/libmkl_rt.so.[0-9]*)
    fi
    [[ ${#mkl_rt[@]} -ge 1 ]] || die "pip installed mkl but no $VENV/lib/libmkl_rt.so.* exists"
    MKL_RT="${mkl_rt[0]}"
    MKL_VERSION="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mkl"))')"

    # A folder holding only MKL's libraries: libblas.so.3 -> libmkl_rt, plus every
    # libmkl_*.so* (libmkl_rt dlopens libmkl_core, libmkl_sequential, ... from the
    # directory it was loaded from, i.e. this folder). The venv's lib/ itself is not
    # put on LD_LIBRARY_PATH: it also ships libhwloc.so.15, which would shadow the
    # one Open MPI uses.
    rm -rf "$MKL_DIR"
    mkdir -p "$MKL_DIR"
    for lib in "$VENV"/lib/libmkl_*.so*; do
        ln -s "$lib" "$MKL_DIR/"
    done
    shopt -u nullglob
    ln -s "$MKL_RT" "$MKL_DIR/libblas.so.3"
    if ldd "$HPCC" | grep -q 'liblapack\.so\.3'; then
        ln -s "$MKL_RT" "$MKL_DIR/liblapack.so.3"
    fi

    export LD_LIBRARY_PATH="$MKL_DIR"
    export MKL_THREADING_LAYER=SEQUENTIAL
    export MKL_INTERFACE_LAYER=LP64

    # Check 1: the dynamic linker resolves hpcc's libblas.so.3 to libmkl_rt.
    blas_path="$(ldd "$HPCC" | awk '$1 == "libblas.so.3" { print $3 }')"
    [[ "$blas_path" == "$MKL_DIR/libblas.so.3" ]] ||
        die "MKL CHECK FAILED: with LD_LIBRARY_PATH=$MKL_DIR, hpcc's libblas.so.3 resolves to '$blas_path'"
    [[ "$(readlink -f "$blas_path")" == "$(readlink -f "$MKL_RT")" ]] ||
        die "MKL CHECK FAILED: $blas_path is not $MKL_RT"

    # Check 2: a tiny reference run under mpirun with MKL_VERBOSE=1 really calls MKL;
    # LD_DEBUG tells which of MKL's code-path libraries it picked on this CPU.
    log "checking that the reference really runs on MKL (tiny run, MKL_VERBOSE=1)"
    pre="$TMP_ROOT/mkl-check"
    mkdir -p "$pre"
    # The repository's N=2000 input cut down to N=200, NB=40 on a 1 x 1 grid.
    sed -e '6s/^[0-9]*/200/' -e '8s/^[0-9]*/40/' -e '12s/^[0-9]*/1/' \
        "$BENCH_DIR/inputs/N2000_NB80_1x2.txt" >"$pre/hpccinf.txt"
    if ! (cd "$pre" && MKL_VERBOSE=1 LD_DEBUG=files LD_DEBUG_OUTPUT="$pre/ld" \
        mpirun "${MPI_FLAGS[@]}" -np 1 -x LD_LIBRARY_PATH -x MKL_THREADING_LAYER \
        -x MKL_INTERFACE_LAYER -x MKL_VERBOSE -x LD_DEBUG -x LD_DEBUG_OUTPUT \
        "$HPCC" >"$pre/stdout.txt" 2>&1); then
        sed -n '1,30p' "$pre/stdout.txt" >&2
        die "MKL CHECK FAILED: the tiny reference run exited non-zero (output above)"
    fi
    MKL_BANNER="$(grep -m1 -E '^MKL_VERBOSE (oneMKL|Intel\(R\) MKL)' "$pre/stdout.txt" | sed 's/^MKL_VERBOSE //' || true)"
    [[ -n "$MKL_BANNER" ]] ||
        die "MKL CHECK FAILED: MKL_VERBOSE=1 printed no MKL banner; the reference is NOT using MKL"
    grep -q '^MKL_VERBOSE DGEMM(' "$pre/stdout.txt" ||
        die "MKL CHECK FAILED: no DGEMM call went through MKL in the tiny reference run"
    # Only the hpcc process's own trace (mpirun's is there too).
    MKL_LIBS="$(cat "$pre"/ld.* 2>/dev/null |
        sed -n 's|.*file=[^ ]*/\(libmkl_[a-z0-9_]*\.so\.[0-9]*\) .*generating link map.*|\1|p' |
        sort -u | tr '\n' ' ')"
    MKL_LIBS="${MKL_LIBS% }"
    REF_BLAS="Intel MKL from PyPI (mkl==$MKL_VERSION; $MKL_BANNER), sequential, LP64; libblas.so.3 -> $MKL_RT; libraries loaded: ${MKL_LIBS:-unknown}"
    if [[ " $MKL_LIBS " == *" libmkl_def.so."* ]] && ! grep -q GenuineIntel /proc/cpuinfo; then
        REF_BLAS+=" (non-Intel CPU: MKL picked its generic 'def' code path, not its AVX-512 one)"
    fi
    REF_X=(-x LD_LIBRARY_PATH -x MKL_THREADING_LAYER -x MKL_INTERFACE_LAYER)
    CHECK_LOG="$pre/stdout.txt"
}

# Debian's OpenBLAS 0.3.21 does not know this CPU; forced to its SkylakeX
# kernels it uses AVX-512, which on an AVX-512 AMD EPYC beats MKL's generic
# path. Needs the CPU flag avx512f.
setup_openblas() {
    local lib=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 dir="$BENCH_DIR/.openblas-blas"
    if [[ ! -e "$lib" ]]; then
        if [[ $IS_ROOT -eq 1 ]]; then
            log "installing Debian's OpenBLAS (libopenblas0-pthread)"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
        else
            die "Debian's OpenBLAS is missing; run: sudo apt-get install -y libopenblas0-pthread"
        fi
    fi
    grep -qw avx512f /proc/cpuinfo || die "OPENBLAS CHECK FAILED: this CPU has no AVX-512; OPENBLAS_CORETYPE=SkylakeX would crash"
    rm -rf "$dir" && mkdir -p "$dir" && ln -s "$lib" "$dir/libblas.so.3"
    export LD_LIBRARY_PATH="$dir" OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
    local blas_path
    blas_path="$(ldd "$HPCC" | awk '$1 == "libblas.so.3" { print $3 }')"
    [[ "$blas_path" == "$dir/libblas.so.3" && "$(readlink -f "$blas_path")" == "$(readlink -f "$lib")" ]] ||
        die "OPENBLAS CHECK FAILED: hpcc's libblas.so.3 resolves to '$blas_path', not $lib"
    pre="$TMP_ROOT/openblas-check"
    mkdir -p "$pre"
    # OPENBLAS_VERBOSE=2 makes OpenBLAS print the core it selected when loaded.
    OPENBLAS_VERBOSE=2 python3 -c "import ctypes; ctypes.CDLL('$dir/libblas.so.3')" >"$pre/stdout.txt" 2>&1 || true
    grep -q "Core: SkylakeX" "$pre/stdout.txt" ||
        die "OPENBLAS CHECK FAILED: OpenBLAS did not report 'Core: SkylakeX' (see $pre/stdout.txt)"
    REF_BLAS="Debian OpenBLAS 0.3.21 (libopenblas0-pthread), OPENBLAS_CORETYPE=SkylakeX (AVX-512 kernels), OPENBLAS_NUM_THREADS=1; libblas.so.3 -> $lib"
    REF_X=(-x LD_LIBRARY_PATH -x OPENBLAS_CORETYPE -x OPENBLAS_NUM_THREADS)
    CHECK_LOG="$pre/stdout.txt"
}

TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/rhpcc-bench.XXXXXX")"
trap 'rm -rf "$TMP_ROOT"' EXIT

case "$REF_BLAS_KIND" in
    mkl) setup_mkl ;;
    openblas-skylakex) setup_openblas ;;
esac
log "reference BLAS: $REF_BLAS"

mkdir -p "$OUT/raw"
printf '%s\n' "$REF_BLAS" >"$OUT/ref-blas.txt"
head -n 40 "$CHECK_LOG" >"$OUT/raw/blas-check.txt" # what the BLAS check saw
RUNS="$OUT/raw/runs.tsv"
printf 'program\trep\trc\twall_s\tsuccess\n' >"$RUNS"
log "results go to $OUT"

# ---------------------------------------------------------------- runs
FAILED=0

# run_one PROGRAM REP: runs one program once in a fresh folder; records the result.
run_one() {
    local prog="$1" rep="$2" dir rc t0 t1 wall success
    dir="$(mktemp -d "$TMP_ROOT/$prog-$rep.XXXXXX")"
    cp "$INPUT" "$dir/hpccinf.txt"
    local cmd
    if [[ "$prog" == ref ]]; then
        cmd=(mpirun "${MPI_FLAGS[@]}" -np "$RANKS" "${REF_X[@]}" "$HPCC")
    else
        cmd=(mpirun "${MPI_FLAGS[@]}" -np "$RANKS" "$RHPCC" --input hpccinf.txt
            --output hpccoutf.txt --json rhpcc.json "${RHPCC_ARGV[@]}")
    fi
    log "[$prog $rep/$REPS] ${cmd[*]}"
    t0="$(date +%s.%N)"
    rc=0
    (cd "$dir" && "${cmd[@]}") >"$OUT/raw/$prog-$rep.log" 2>&1 || rc=$?
    t1="$(date +%s.%N)"
    wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
    success=missing
    if [[ -f "$dir/hpccoutf.txt" ]]; then
        cp "$dir/hpccoutf.txt" "$OUT/raw/$prog-$rep.txt"
        success="$(sed -n 's/^Success=\([0-9-]*\)$/\1/p' "$dir/hpccoutf.txt" | tail -n1)"
        [[ -n "$success" ]] || success=missing
    fi
    [[ -f "$dir/rhpcc.json" ]] && cp "$dir/rhpcc.json" "$OUT/raw/$prog-$rep.json"
    printf '%s\t%s\t%s\t%s\t%s\n' "$prog" "$rep" "$rc" "$wall" "$success" >>"$RUNS"
    if [[ $rc -ne 0 || "$success" != 1 ]]; then
        FAILED=$((FAILED + 1))
        printf '!!! FAILED: %s rep %s: exit code %s, Success=%s (see %s)\n' \
            "$prog" "$rep" "$rc" "$success" "$OUT/raw/$prog-$rep.log" >&2
    else
        log "[$prog $rep/$REPS] ok in ${wall}s"
    fi
    rm -rf "$dir"
}

for ((i = 1; i <= REPS; i++)); do
    run_one ref "$i"
    [[ $REF_ONLY -eq 1 ]] || run_one rhpcc "$i"
done

# ---------------------------------------------------------------- summary
# --opt=VALUE form: values may themselves start with "--".
py_args=("--out=$OUT" "--input=$INPUT" "--ranks=$RANKS" "--reps=$REPS"
    "--command=$INVOCATION" "--ref-blas=$REF_BLAS" "--mpirun-flags=${MPI_FLAGS[*]}")
if [[ $REF_ONLY -eq 1 ]]; then
    py_args+=(--ref-only)
else
    py_args+=("--rhpcc=$RHPCC" "--rhpcc-args=$RHPCC_ARGS")
fi
py_rc=0
python3 "$BENCH_DIR/compare.py" "${py_args[@]}" || py_rc=$?

log "summary: $OUT/summary.md, $OUT/summary.json; raw outputs in $OUT/raw/"
if [[ $py_rc -ne 0 && $py_rc -ne 3 ]]; then
    die "compare.py failed (exit code $py_rc)"
fi
if [[ $FAILED -gt 0 || $py_rc -ne 0 ]]; then
    printf '!!! %d run(s) failed; see the summary and %s/raw/*.log\n' "$FAILED" "$OUT" >&2
    exit 2
fi
