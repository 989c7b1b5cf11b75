//! The run's output files, checked before any benchmark starts: a result is
//! never lost because its file cannot be written, and no file other than a
//! previous output is ever replaced.
//!
//! Rules, for `--output` and `--json`:
//! - the directory exists and a file can be created in it (a temporary file
//!   is created and removed beside the target);
//! - the path is absent or a regular file: never a directory, a device node,
//!   a FIFO, a socket or a symbolic link (the atomic rename would replace the
//!   link or node itself);
//! - the two outputs differ from each other and from every input
//!   (`hpccinf.txt`, `hpccmemf.txt`), compared by canonical directory and
//!   name, and by device and inode where the file exists (hard links).

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::ConfigError;

/// An output's canonical location and, if it exists, its file identity.
struct Target {
    flag: &'static str,
    given: PathBuf,
    path: PathBuf,
    id: Option<(u64, u64)>,
}

fn refuse(flag: &'static str, given: &Path, why: impl Into<String>) -> ConfigError {
    ConfigError::Output {
        flag,
        path: given.display().to_string(),
        why: why.into(),
    }
}

/// What a non-regular file is, for the message.
fn kind(m: &fs::Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_block_device() || t.is_char_device() {
        "a device node"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

fn target(flag: &'static str, given: &Path, cwd: &Path) -> Result<Target, ConfigError> {
    let full = cwd.join(given);
    let name = full
        .file_name()
        .ok_or_else(|| refuse(flag, given, "names no file"))?
        .to_owned();
    let dir = full.parent().unwrap_or(cwd);
    let dir = fs::canonicalize(dir)
        .ok()
        .filter(|d| d.is_dir())
        .ok_or_else(|| refuse(flag, given, "its directory does not exist"))?;
    let path = dir.join(&name);
    let id = match fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_file() => Some((m.dev(), m.ino())),
        Ok(m) => {
            return Err(refuse(
                flag,
                given,
                format!("is {}; rhpcc replaces only regular files", kind(&m)),
            ))
        }
        Err(_) => None,
    };
    Ok(Target {
        flag,
        given: given.to_path_buf(),
        path,
        id,
    })
}

/// Create and remove a file beside `t`, to know before the work that the
/// result can be written there.
fn probe(t: &Target) -> Result<(), ConfigError> {
    let dir = t.path.parent().expect("canonical path has a directory");
    let tmp = dir.join(format!(
        ".{}.probe-{}",
        t.path.file_name().expect("named").to_string_lossy(),
        std::process::id()
    ));
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
    {
        Ok(_) => {
            let _ = fs::remove_file(&tmp);
            Ok(())
        }
        Err(e) => Err(refuse(
            t.flag,
            &t.given,
            format!("cannot create a file in {}: {e}", dir.display()),
        )),
    }
}

/// Check `outputs` (flag, path as given) against each other and `inputs`.
pub fn check(
    outputs: &[(&'static str, &Path)],
    inputs: &[&Path],
    cwd: &Path,
) -> Result<(), ConfigError> {
    let targets = outputs
        .iter()
        .map(|(flag, p)| target(flag, p, cwd))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, a) in targets.iter().enumerate() {
        for b in &targets[i + 1..] {
            if a.path == b.path || (a.id.is_some() && a.id == b.id) {
                return Err(refuse(
                    b.flag,
                    &b.given,
                    format!("is the same file as {} {}", a.flag, a.given.display()),
                ));
            }
        }
        for input in inputs {
            let full = cwd.join(input);
            let same_path = fs::canonicalize(&full).is_ok_and(|c| c == a.path);
            let same_file = fs::metadata(&full)
                .is_ok_and(|m| a.id.is_some() && a.id == Some((m.dev(), m.ino())));
            if same_path || same_file {
                return Err(refuse(
                    a.flag,
                    &a.given,
                    format!("is the input file {}", input.display()),
                ));
            }
        }
    }
    targets.iter().try_for_each(probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_in(dir: &Path, out: &str, json: &str, inputs: &[&str]) -> Result<(), String> {
        let inputs: Vec<PathBuf> = inputs.iter().map(PathBuf::from).collect();
        let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        check(
            &[("--output", Path::new(out)), ("--json", Path::new(json))],
            &inputs,
            dir,
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn distinct_new_or_regular_files_pass_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("old.txt"), "previous run").unwrap();
        check_in(dir.path(), "old.txt", "new.json", &[]).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "the probe left a file");
        assert_eq!(
            fs::read_to_string(dir.path().join("old.txt")).unwrap(),
            "previous run"
        );
    }

    #[test]
    fn same_file_twice_is_refused_by_path_and_by_inode() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        let e = check_in(dir.path(), "out.txt", "sub/../out.txt", &[]).unwrap_err();
        assert!(
            e.contains("--json") && e.contains("same file as --output"),
            "{e}"
        );
        fs::write(dir.path().join("a.txt"), "x").unwrap();
        fs::hard_link(dir.path().join("a.txt"), dir.path().join("b.txt")).unwrap();
        let e = check_in(dir.path(), "a.txt", "b.txt", &[]).unwrap_err();
        assert!(e.contains("same file"), "{e}");
    }

    #[test]
    fn an_input_as_output_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("hpccinf.txt"), "input").unwrap();
        let e = check_in(dir.path(), "./hpccinf.txt", "r.json", &["hpccinf.txt"]).unwrap_err();
        assert!(
            e.contains("--output") && e.contains("is the input file hpccinf.txt"),
            "{e}"
        );
        let e = check_in(dir.path(), "o.txt", "hpccinf.txt", &["./hpccinf.txt"]).unwrap_err();
        assert!(e.contains("--json"), "{e}");
        assert_eq!(
            fs::read_to_string(dir.path().join("hpccinf.txt")).unwrap(),
            "input"
        );
    }

    #[test]
    fn only_regular_files_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("d")).unwrap();
        let e = check_in(dir.path(), "d", "r.json", &[]).unwrap_err();
        assert!(e.contains("is a directory"), "{e}");
        let e = check_in(dir.path(), "o.txt", "/dev/null", &[]).unwrap_err();
        assert!(e.contains("--json") && e.contains("a device node"), "{e}");
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link")).unwrap();
        let e = check_in(dir.path(), "link", "r.json", &[]).unwrap_err();
        assert!(e.contains("a symbolic link"), "{e}");
    }

    #[test]
    fn a_directory_that_cannot_take_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_in(dir.path(), "no/such/dir/o.txt", "r.json", &[]).unwrap_err();
        assert!(e.contains("directory does not exist"), "{e}");
        // /proc takes no new files, even from root.
        let e = check_in(dir.path(), "/proc/hpccoutf.txt", "r.json", &[]).unwrap_err();
        assert!(
            e.contains("--output") && e.contains("cannot create a file in /proc"),
            "{e}"
        );
    }
}
