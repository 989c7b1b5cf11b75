//! Which instruction set the hand-written kernels run, chosen at run time.
//!
//! rhpcc is built for the portable x86-64 baseline (SSE2) so that one
//! binary runs on the host and in any guest, whatever CPU model the
//! hypervisor shows. Each kernel with a vector path (STREAM, the PTRANS
//! tiles, the FMA peak probe) has an AVX-512 version, an AVX2 + FMA version
//! and a portable one, compiled side by side with `#[target_feature]`, and
//! picks one per call from [`Simd`]: a proof that the CPU has the chosen
//! set, so the unsafe calls behind it are sound.
//!
//! The choice is the best set the CPU has, unless [`set_active`] lowers it
//! (`rhpcc --isa`, or `RHPCC_ISA`). Detection is `std`'s
//! `is_x86_feature_detected!`, cached by `std` after the first query.
//!
//! faer's GEMM and rustfft dispatch by themselves; [`gemm_isa`] says what
//! faer picks, by faer's own rule.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set level, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// No extension beyond the target's baseline (SSE2 on x86-64).
    Portable,
    /// AVX2 with FMA (x86-64-v3's vector part).
    Avx2,
    /// AVX-512 Foundation, on top of AVX2 and FMA.
    Avx512,
}

impl Isa {
    /// Every level, lowest first.
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Avx2, Isa::Avx512];

    /// The name used on the command line and in the reports.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// The level named `s` (as [`Isa::name`] spells it, any case).
    pub fn from_name(s: &str) -> Option<Isa> {
        Isa::ALL
            .into_iter()
            .find(|i| i.name().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether this CPU runs code of this level (std caches the detection:
    /// cheap enough for every kernel call).
    pub fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            match self {
                Isa::Portable => true,
                Isa::Avx2 => has!("avx2") && has!("fma"),
                Isa::Avx512 => has!("avx2") && has!("fma") && has!("avx512f"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Isa::Portable
        }
    }

    /// The highest level this CPU runs.
    pub fn best() -> Isa {
        Isa::ALL
            .into_iter()
            .rev()
            .find(|i| i.supported())
            .unwrap_or(Isa::Portable)
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A level the CPU is known to support: the only way to reach a kernel's
/// `#[target_feature]` versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Simd(Isa);

impl Simd {
    /// `isa`, if this CPU runs it.
    pub fn new(isa: Isa) -> Option<Simd> {
        isa.supported().then_some(Simd(isa))
    }

    /// The portable level, supported everywhere.
    pub const PORTABLE: Simd = Simd(Isa::Portable);

    pub fn isa(self) -> Isa {
        self.0
    }

    /// Every level this CPU supports, lowest first: what the tests run
    /// each kernel on.
    pub fn all_supported() -> Vec<Simd> {
        Isa::ALL.into_iter().filter_map(Simd::new).collect()
    }
}

/// 0: not chosen yet (the best level is used); else 1 + the level's index.
static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// The level the kernels run: [`set_active`]'s choice, else the best the
/// CPU has.
pub fn active() -> Simd {
    match ACTIVE.load(Ordering::Relaxed) {
        0 => Simd(Isa::best()),
        k => Simd(Isa::ALL[k as usize - 1]),
    }
}

/// Asked for a level this CPU lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("this CPU cannot run {asked} code (it supports up to {best})")]
pub struct Unsupported {
    pub asked: Isa,
    pub best: Isa,
}

/// Make every kernel run `isa` (lower than the best to test or compare a
/// path); refused when the CPU lacks it.
pub fn set_active(isa: Isa) -> Result<Simd, Unsupported> {
    let simd = Simd::new(isa).ok_or(Unsupported {
        asked: isa,
        best: Isa::best(),
    })?;
    let k = Isa::ALL.iter().position(|i| *i == isa).expect("listed");
    ACTIVE.store(k as u8 + 1, Ordering::Relaxed);
    Ok(simd)
}

/// The CPU features that decide the kernels' paths, and whether the CPU is
/// virtualized (for the reports: reading the hypervisor bit executes CPUID,
/// which traps to the hypervisor in a guest, so kernels never call this).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuFlags {
    pub avx: bool,
    pub avx2: bool,
    pub fma: bool,
    pub avx512f: bool,
    /// CPUID's hypervisor bit: the CPU is a virtual one.
    pub hypervisor: bool,
}

impl CpuFlags {
    /// This CPU's flags (all false off x86-64).
    pub fn detect() -> CpuFlags {
        #[cfg(target_arch = "x86_64")]
        {
            CpuFlags {
                avx: std::arch::is_x86_feature_detected!("avx"),
                avx2: std::arch::is_x86_feature_detected!("avx2"),
                fma: std::arch::is_x86_feature_detected!("fma"),
                avx512f: std::arch::is_x86_feature_detected!("avx512f"),
                hypervisor: hypervisor_bit(),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        CpuFlags::default()
    }
}

/// CPUID leaf 1, ECX bit 31: set by hypervisors for their guests.
#[cfg(target_arch = "x86_64")]
fn hypervisor_bit() -> bool {
    // CPUID is available on every x86-64 CPU; leaf 1 always exists.
    let r = std::arch::x86_64::__cpuid(1);
    r.ecx & (1 << 31) != 0
}

/// The level faer's GEMM (HPL's update, the DGEMM test) runs here: faer
/// chooses by itself, AVX-512 where the CPU has `avx512f`, else AVX2 where
/// it has `avx2` and `fma`, else its portable code; `--isa` does not reach
/// it.
pub fn gemm_isa() -> Isa {
    let f = CpuFlags::detect();
    gemm_rule(f)
}

fn gemm_rule(f: CpuFlags) -> Isa {
    if f.avx512f {
        Isa::Avx512
    } else if f.avx2 && f.fma {
        Isa::Avx2
    } else {
        Isa::Portable
    }
}

/// `$vis fn $name(simd: Simd, args...)`: a function whose body is compiled
/// once per level (AVX-512, AVX2 + FMA, portable) and run at the level
/// `simd` names. For loops the compiler vectorizes by itself: the body is
/// `#[inline(always)]` into `#[target_feature]` copies, so each copy is
/// vectorized for its level. The body must not depend on the level for its
/// result (Rust never fuses a multiply and an add by itself, so plain
/// arithmetic gives the same bits in every copy).
#[macro_export]
macro_rules! multiversion {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$attr])*
        $vis fn $name(simd: $crate::isa::Simd, $($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx2,fma")]
            unsafe fn avx512($($arg: $ty),*) $(-> $ret)? { body($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2($($arg: $ty),*) $(-> $ret)? { body($($arg),*) }
            match simd.isa() {
                // SAFETY: a `Simd` is only made for levels the CPU supports.
                #[cfg(target_arch = "x86_64")]
                $crate::isa::Isa::Avx512 => unsafe { avx512($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                $crate::isa::Isa::Avx2 => unsafe { avx2($($arg),*) },
                _ => body($($arg),*),
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for isa in Isa::ALL {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
            assert_eq!(Isa::from_name(&isa.name().to_uppercase()), Some(isa));
        }
        assert_eq!(Isa::from_name("sse9"), None);
    }

    #[test]
    fn levels_are_nested() {
        // A CPU that runs a level runs every level below it.
        let best = Isa::best();
        for isa in Isa::ALL {
            assert_eq!(isa.supported(), isa <= best, "{isa}");
            assert_eq!(Simd::new(isa).is_some(), isa <= best);
        }
        assert_eq!(Simd::all_supported().last().map(|s| s.isa()), Some(best));
        assert!(gemm_isa() >= best || !CpuFlags::detect().avx2);
    }

    #[test]
    fn gemm_level_follows_faers_rule() {
        let f = |avx2, fma, avx512f| CpuFlags {
            avx2,
            fma,
            avx512f,
            ..CpuFlags::default()
        };
        assert_eq!(gemm_rule(f(true, true, true)), Isa::Avx512);
        assert_eq!(gemm_rule(f(true, true, false)), Isa::Avx2);
        assert_eq!(gemm_rule(f(true, false, false)), Isa::Portable);
        assert_eq!(gemm_rule(f(false, false, false)), Isa::Portable);
    }

    #[test]
    fn unsupported_levels_are_refused() {
        let best = Isa::best();
        for isa in Isa::ALL.into_iter().filter(|i| *i > best) {
            let e = set_active(isa).unwrap_err();
            assert_eq!(e, Unsupported { asked: isa, best });
            assert!(e.to_string().contains(isa.name()));
        }
    }
}
