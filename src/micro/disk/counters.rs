//! What the device under `--dir` actually wrote, where Linux says it.
//!
//! * `/proc/diskstats`: field 10 of a device's line is the sectors it has
//!   written since boot, always in 512-byte units whatever the device's
//!   sector size. The device is the one holding `--dir`: `stat`'s
//!   `st_dev` as `/sys/dev/block/MAJ:MIN` (a partition or a device-mapper
//!   device has a line of its own), or, for filesystems whose `st_dev` is
//!   an anonymous number (btrfs), the block device named as the mount's
//!   source in `/proc/self/mountinfo`. tmpfs, overlayfs and network
//!   filesystems have none: not available. The count covers every writer
//!   on that device, this benchmark's and anybody else's.
//! * cgroup v2 `io.stat`: the `wbytes` of the process's own cgroup on the
//!   whole disk (for a partition, its disk), when the cgroup has an
//!   `io.stat` (the io controller enabled for it; never the root cgroup).
//!   It counts only the cgroup's writes, writeback of its pages included.
//!
//! Parsing is split from reading so that the parsers are tested on sample
//! texts.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The block device holding a directory, as `/proc/diskstats` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockDevice {
    pub name: String,
    pub major: u32,
    pub minor: u32,
    /// The whole disk (itself unless a partition), as `io.stat` keys it.
    pub disk: (u32, u32),
}

impl BlockDevice {
    pub fn label(&self) -> String {
        format!("{} ({}:{})", self.name, self.major, self.minor)
    }

    /// Bytes written by the device since boot.
    pub fn bytes_written(&self) -> Result<u64, String> {
        let text = std::fs::read_to_string("/proc/diskstats")
            .map_err(|e| format!("/proc/diskstats: {e}"))?;
        diskstats_sectors_written(&text, self.major, self.minor)
            .map(|s| s * 512)
            .ok_or_else(|| format!("no line for {} in /proc/diskstats", self.label()))
    }
}

/// Field 10 (sectors written) of the line of device `major:minor`.
pub fn diskstats_sectors_written(text: &str, major: u32, minor: u32) -> Option<u64> {
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (f.len() >= 10 && f[0].parse::<u32>().ok()? == major && f[1].parse::<u32>().ok()? == minor)
            .then(|| f[9].parse::<u64>().ok())
            .flatten()
    })
}

/// One line of `/proc/self/mountinfo`, the fields used here.
#[derive(Debug, PartialEq, Eq)]
pub struct Mount {
    pub dev: (u32, u32),
    pub mount_point: PathBuf,
    pub fstype: String,
    pub source: String,
}

/// Every mount of a `mountinfo` text, in order (octal escapes decoded).
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let l: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            let (maj, min) = l.get(2)?.split_once(':')?;
            Some(Mount {
                dev: (maj.parse().ok()?, min.parse().ok()?),
                mount_point: PathBuf::from(unescape(l.get(4)?)),
                fstype: unescape(r.first()?),
                source: unescape(r.get(1)?),
            })
        })
        .collect()
}

/// mountinfo's `\ooo` escapes (space, tab, newline, backslash).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = |c: &u8| (b'0'..=b'7').contains(c);
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(octal) {
            let v = b[i + 1..i + 4]
                .iter()
                .fold(0u32, |v, c| v * 8 + u32::from(c - b'0'));
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn sys_block(dev: (u32, u32)) -> PathBuf {
    PathBuf::from(format!("/sys/dev/block/{}:{}", dev.0, dev.1))
}

/// The block device holding `dir`, or why there is none to read.
pub fn block_device_of(dir: &Path) -> Result<BlockDevice, String> {
    let meta = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let st = (libc::major(meta.dev()), libc::minor(meta.dev()));
    let dev = if sys_block(st).exists() {
        st
    } else {
        let text = std::fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| format!("/proc/self/mountinfo: {e}"))?;
        let mount = parse_mountinfo(&text)
            .into_iter()
            .rev()
            .find(|m| m.dev == st)
            .ok_or_else(|| {
                format!(
                    "no mount of device {}:{} in /proc/self/mountinfo",
                    st.0, st.1
                )
            })?;
        let source = std::fs::metadata(&mount.source)
            .ok()
            .filter(|m| m.file_type().is_block_device());
        match source {
            Some(m) => (libc::major(m.rdev()), libc::minor(m.rdev())),
            None => {
                return Err(format!(
                    "{} is on {} (source {:?}), which has no block device of its own",
                    dir.display(),
                    mount.fstype,
                    mount.source
                ))
            }
        }
    };
    let sys = sys_block(dev);
    let name = std::fs::canonicalize(&sys)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .ok_or_else(|| format!("{} is not a block device in sysfs", sys.display()))?;
    let disk = if sys.join("partition").exists() {
        std::fs::read_to_string(sys.join("../dev"))
            .ok()
            .and_then(|t| {
                let (a, b) = t.trim().split_once(':')?;
                Some((a.parse().ok()?, b.parse().ok()?))
            })
            .unwrap_or(dev)
    } else {
        dev
    };
    let device = BlockDevice {
        name,
        major: dev.0,
        minor: dev.1,
        disk,
    };
    device.bytes_written()?;
    Ok(device)
}

/// The cgroup v2 path of this process (the `0::` line of
/// `/proc/self/cgroup`).
pub fn own_cgroup(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(str::to_string)
}

/// `wbytes` of device `major:minor` in an `io.stat` text; 0 when the
/// device has no line (the cgroup has not done I/O to it yet).
pub fn io_stat_wbytes(text: &str, major: u32, minor: u32) -> u64 {
    let key = format!("{major}:{minor}");
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(dev, _)| *dev == key)
        .flat_map(|(_, rest)| rest.split_whitespace())
        .filter_map(|kv| kv.strip_prefix("wbytes="))
        .filter_map(|v| v.parse::<u64>().ok())
        .sum()
}

/// The `io.stat` file of this process's cgroup, for one disk.
#[derive(Clone, Debug)]
pub struct CgroupIo {
    pub path: PathBuf,
    pub disk: (u32, u32),
}

impl CgroupIo {
    /// Find it, or say why there is none.
    pub fn find(device: &BlockDevice) -> Result<CgroupIo, String> {
        let cgroup = std::fs::read_to_string("/proc/self/cgroup")
            .ok()
            .and_then(|t| own_cgroup(&t))
            .ok_or("this process is in no cgroup v2 (no 0:: line in /proc/self/cgroup)")?;
        let mounts = std::fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| format!("/proc/self/mountinfo: {e}"))?;
        let root = parse_mountinfo(&mounts)
            .into_iter()
            .find(|m| m.fstype == "cgroup2")
            .ok_or("no cgroup v2 hierarchy is mounted")?
            .mount_point;
        let path = root.join(cgroup.trim_start_matches('/')).join("io.stat");
        if !path.exists() {
            return Err(format!(
                "cgroup {cgroup} has no io.stat ({}: the root cgroup, or the io \
                 controller is not enabled for it)",
                path.display()
            ));
        }
        let io = CgroupIo {
            path,
            disk: device.disk,
        };
        io.bytes_written()?;
        Ok(io)
    }

    /// `wbytes` of the disk so far.
    pub fn bytes_written(&self) -> Result<u64, String> {
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        Ok(io_stat_wbytes(&text, self.disk.0, self.disk.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISKSTATS: &str = "\
   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 1351721 28989 47705234 1374138 123736 218709 117142968 367063 0 117896 1761162 182791 74 91356120 18350 7774 1609
 254       1 vda1 1000 10 20000 300 400 50 7777 60 0 70 80 0 0 0 0 0 0
 253       0 dm-0 5 0 40 1 6 0 48 2 0 3 3
   8      16 sdb 1 2 3 4
";

    #[test]
    fn diskstats_field_ten() {
        assert_eq!(
            diskstats_sectors_written(DISKSTATS, 254, 0),
            Some(117_142_968)
        );
        assert_eq!(diskstats_sectors_written(DISKSTATS, 254, 1), Some(7777));
        // Kernels before 4.18 print 14 fields; field 10 is the same.
        assert_eq!(diskstats_sectors_written(DISKSTATS, 253, 0), Some(48));
        assert_eq!(diskstats_sectors_written(DISKSTATS, 7, 0), Some(0));
        // Too short a line, or no line: nothing.
        assert_eq!(diskstats_sectors_written(DISKSTATS, 8, 16), None);
        assert_eq!(diskstats_sectors_written(DISKSTATS, 254, 2), None);
    }

    #[test]
    fn mountinfo_lines() {
        let text = "\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684100k
40 27 0:45 /@home /home/a\\040b rw shared:5 master:1 - btrfs /dev/nvme0n1p2 rw,ssd
31 23 0:28 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw
bad line
";
        let m = parse_mountinfo(text);
        assert_eq!(m.len(), 4);
        assert_eq!(
            m[0],
            Mount {
                dev: (254, 0),
                mount_point: "/".into(),
                fstype: "ext4".into(),
                source: "/dev/vda".into()
            }
        );
        assert_eq!(m[2].dev, (0, 45));
        assert_eq!(m[2].mount_point, PathBuf::from("/home/a b"));
        assert_eq!(m[2].source, "/dev/nvme0n1p2");
        assert_eq!(m[3].fstype, "cgroup2");
    }

    #[test]
    fn cgroup_and_io_stat() {
        assert_eq!(
            own_cgroup("12:memory:/x\n0::/user.slice/job-7\n").as_deref(),
            Some("/user.slice/job-7")
        );
        assert_eq!(own_cgroup("4:memory:/x\n"), None);
        let io = "\
8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021
254:0 rbytes=1 wbytes=4096 rios=1 wios=1 dbytes=0 dios=0
";
        assert_eq!(io_stat_wbytes(io, 8, 0), 299_008_000);
        assert_eq!(io_stat_wbytes(io, 254, 0), 4096);
        assert_eq!(io_stat_wbytes(io, 8, 16), 0);
    }

    #[test]
    fn a_directory_on_tmpfs_has_no_block_device() {
        let shm = Path::new("/dev/shm");
        let on_tmpfs = std::fs::read_to_string("/proc/self/mountinfo")
            .map(|t| {
                parse_mountinfo(&t)
                    .iter()
                    .any(|m| m.mount_point == shm && m.fstype == "tmpfs")
            })
            .unwrap_or(false);
        if !on_tmpfs {
            eprintln!("skipped: /dev/shm is not a tmpfs here");
            return;
        }
        let e = block_device_of(shm).unwrap_err();
        assert!(e.contains("tmpfs") && e.contains("no block device"), "{e}");
    }
}
