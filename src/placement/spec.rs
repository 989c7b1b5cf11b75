//! How a placement is written.
//!
//! - `native`: every node itself, one rank per core of the node;
//!   `native/<C>C` uses the node's first C cores only (to match a VM
//!   placement's rank count).
//! - `<V>V/<C>C`: on every node, V of its VMs that have exactly C cores,
//!   one rank per core (`1V/4C`, `4V/1C`).
//! - explicit: `host:ranks,host:ranks,...` with hosts (nodes or VMs) named
//!   in the inventory, ranks bound to the host's first `ranks` cores, in
//!   the order given (`n1-vm1:2,n2-vm1:2`).

use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Each node itself; `cores`: ranks per node (None: all its cores).
    Native { cores: Option<usize> },
    /// V VMs per node of C cores each.
    Vms { vms: usize, cores: usize },
    /// Named hosts with their rank counts, in rank order.
    Explicit(Vec<(String, usize)>),
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("--placement: expected `native`, `native/<C>C`, `<V>V/<C>C` (e.g. 4V/1C) or `host:ranks,...`, found '{found}'{detail}")]
pub struct SpecError {
    pub found: String,
    pub detail: String,
}

fn count(s: &str, suffix: char) -> Option<usize> {
    let n: usize = s.strip_suffix(suffix)?.parse().ok()?;
    (n >= 1).then_some(n)
}

impl Placement {
    pub fn parse(spec: &str) -> Result<Placement, SpecError> {
        let err = |detail: &str| SpecError {
            found: spec.to_string(),
            detail: detail.to_string(),
        };
        let s = spec.trim();
        if s == "native" {
            return Ok(Placement::Native { cores: None });
        }
        if let Some(c) = s.strip_prefix("native/") {
            let cores = count(c, 'C').ok_or_else(|| err(" (cores must be >= 1)"))?;
            return Ok(Placement::Native { cores: Some(cores) });
        }
        if let Some((v, c)) = s.split_once('/') {
            return match (count(v, 'V'), count(c, 'C')) {
                (Some(vms), Some(cores)) => Ok(Placement::Vms { vms, cores }),
                _ => Err(err(" (V and C must be integers >= 1)")),
            };
        }
        let mut hosts: Vec<(String, usize)> = Vec::new();
        for item in s.split(',') {
            let (host, n) = item
                .split_once(':')
                .ok_or_else(|| err(&format!(" ('{item}' is not host:ranks)")))?;
            let n: usize = n
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| err(&format!(" (ranks of '{host}' must be an integer >= 1)")))?;
            if host.is_empty() {
                return Err(err(" (empty host name)"));
            }
            if hosts.iter().any(|(h, _)| h == host) {
                return Err(err(&format!(" ('{host}' named twice)")));
            }
            hosts.push((host.to_string(), n));
        }
        Ok(Placement::Explicit(hosts))
    }

    /// The label stored in the results (`placement`): the canonical
    /// spelling of the spec.
    pub fn label(&self) -> String {
        match self {
            Placement::Native { cores: None } => "native".into(),
            Placement::Native { cores: Some(c) } => format!("native/{c}C"),
            Placement::Vms { vms, cores } => format!("{vms}V/{cores}C"),
            Placement::Explicit(hosts) => hosts
                .iter()
                .map(|(h, n)| format!("{h}:{n}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_labels() {
        for (s, p) in [
            ("native", Placement::Native { cores: None }),
            ("native/2C", Placement::Native { cores: Some(2) }),
            ("1V/4C", Placement::Vms { vms: 1, cores: 4 }),
            ("4V/1C", Placement::Vms { vms: 4, cores: 1 }),
            (
                "a:2,b:1",
                Placement::Explicit(vec![("a".into(), 2), ("b".into(), 1)]),
            ),
        ] {
            let parsed = Placement::parse(s).unwrap();
            assert_eq!(parsed, p, "{s}");
            assert_eq!(parsed.label(), s);
        }
    }

    #[test]
    fn bad_specs() {
        for (s, detail) in [
            ("0V/4C", " (V and C must be integers >= 1)"),
            ("2V/xC", " (V and C must be integers >= 1)"),
            ("native/0C", " (cores must be >= 1)"),
            ("vm1", " ('vm1' is not host:ranks)"),
            ("vm1:0", " (ranks of 'vm1' must be an integer >= 1)"),
            ("a:1,a:2", " ('a' named twice)"),
            (":1", " (empty host name)"),
        ] {
            let e = Placement::parse(s).unwrap_err();
            assert_eq!(e.detail, detail, "{s}");
            assert!(e.to_string().contains(&format!("found '{s}'")));
        }
    }
}
