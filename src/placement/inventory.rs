//! The inventory: the physical nodes and the hosts ranks can run on.
//!
//! A TOML file (example: `launch/inventory.example.toml`) with one
//! `[[node]]` table per physical node and, under it, one `[[node.vm]]`
//! table per virtual machine (or container) on that node. A node is itself
//! a host (the `native` placement runs on it); so is each of its VMs.
//!
//! ```toml
//! [[node]]
//! name = "n1"              # unique among nodes and VMs
//! address = "10.0.0.1"     # what mpirun contacts; default: name
//! cores = 4                # cores ranks may be bound to, 0..cores-1
//! nic = "mlx5"             # optional facts of the bare machine
//! disk = "nvme"
//! facts = { kernel = "6.1" }   # optional free-form facts (strings, numbers, booleans)
//!
//! [[node.vm]]
//! name = "n1-vm1"
//! address = "10.0.1.1"
//! cores = 4                # the VM's vCPUs, 0..cores-1 as the VM sees them
//! hypervisor = "kvm"       # kvm, xen, container, none, ...
//! nic = "virtio"           # virtio, e1000, sr-iov, ...
//! disk = "virtio-blk"
//! ```
//!
//! Unknown keys are refused (a misspelt `hypervisr` would otherwise vanish
//! from the results), and so are duplicate names, empty names and
//! `cores = 0`; every error names the file and the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum InventoryError {
    #[error("inventory {}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("inventory {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("inventory {}: {field}: {problem}", path.display())]
    Invalid {
        path: PathBuf,
        field: String,
        problem: String,
    },
}

/// A free-form fact: TOML string, integer, float or boolean.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum FactValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileNode {
    name: String,
    address: Option<String>,
    cores: usize,
    nic: Option<String>,
    disk: Option<String>,
    #[serde(default)]
    facts: BTreeMap<String, FactValue>,
    #[serde(default)]
    vm: Vec<FileVm>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileVm {
    name: String,
    address: Option<String>,
    cores: usize,
    hypervisor: String,
    nic: Option<String>,
    disk: Option<String>,
    #[serde(default)]
    facts: BTreeMap<String, FactValue>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    node: Vec<FileNode>,
}

/// A place ranks can run on: a node itself or one of its VMs.
#[derive(Clone, Debug, PartialEq)]
pub struct Host {
    pub name: String,
    /// What mpirun contacts (hostfile, rankfile).
    pub address: String,
    pub cores: usize,
    /// `none` for the bare node.
    pub hypervisor: String,
    pub nic: Option<String>,
    pub disk: Option<String>,
    pub facts: BTreeMap<String, FactValue>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The bare machine as a host (`hypervisor = "none"`).
    pub host: Host,
    pub vms: Vec<Host>,
}

impl Node {
    pub fn name(&self) -> &str {
        &self.host.name
    }
}

/// A validated inventory: at least one node, unique names, cores >= 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Inventory {
    pub nodes: Vec<Node>,
}

impl Inventory {
    /// Read and validate an inventory file.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Inventory::parse(&text, path)
    }

    /// Parse and validate inventory text; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Inventory, InventoryError> {
        let file: File = toml::from_str(text).map_err(|e| InventoryError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |field: String, problem: String| InventoryError::Invalid {
            path: path.to_path_buf(),
            field,
            problem,
        };
        if file.node.is_empty() {
            return Err(invalid(
                "node".into(),
                "no [[node]] tables: list at least one node".into(),
            ));
        }
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let mut check = |field: &str, name: &str, address: &str, cores: usize| {
            if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
                return Err(invalid(
                    format!("{field}.name"),
                    format!("expected a name without spaces, found '{name}'"),
                ));
            }
            if address.trim().is_empty() || address.chars().any(char::is_whitespace) {
                return Err(invalid(
                    format!("{field}.address"),
                    format!("expected an address without spaces, found '{address}'"),
                ));
            }
            if cores == 0 {
                return Err(invalid(
                    format!("{field}.cores"),
                    "expected an integer >= 1, found 0".into(),
                ));
            }
            for key in [name, address] {
                if let Some(other) = seen.get(key) {
                    if other != field {
                        return Err(invalid(
                            format!("{field}.name"),
                            format!("'{key}' is already used by {other}; names and addresses must be unique"),
                        ));
                    }
                }
                seen.insert(key.to_string(), field.to_string());
            }
            Ok(())
        };
        let mut nodes = Vec::new();
        for (i, n) in file.node.into_iter().enumerate() {
            let field = format!("node[{i}] ('{}')", n.name);
            let address = n.address.unwrap_or_else(|| n.name.clone());
            check(&field, &n.name, &address, n.cores)?;
            let mut vms = Vec::new();
            for (j, v) in n.vm.into_iter().enumerate() {
                let vfield = format!("node[{i}].vm[{j}] ('{}')", v.name);
                let vaddress = v.address.unwrap_or_else(|| v.name.clone());
                check(&vfield, &v.name, &vaddress, v.cores)?;
                if v.hypervisor.trim().is_empty() {
                    return Err(invalid(
                        format!("{vfield}.hypervisor"),
                        "expected kvm, xen, container, none, ...; found ''".into(),
                    ));
                }
                vms.push(Host {
                    name: v.name,
                    address: vaddress,
                    cores: v.cores,
                    hypervisor: v.hypervisor,
                    nic: v.nic,
                    disk: v.disk,
                    facts: v.facts,
                });
            }
            nodes.push(Node {
                host: Host {
                    name: n.name,
                    address,
                    cores: n.cores,
                    hypervisor: "none".into(),
                    nic: n.nic,
                    disk: n.disk,
                    facts: n.facts,
                },
                vms,
            });
        }
        Ok(Inventory { nodes })
    }

    /// The node or VM called `name`, with the node it is on.
    pub fn find(&self, name: &str) -> Option<(&Node, &Host)> {
        self.nodes.iter().find_map(|n| {
            if n.host.name == name {
                Some((n, &n.host))
            } else {
                n.vms.iter().find(|v| v.name == name).map(|v| (n, v))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Inventory, String> {
        Inventory::parse(text, Path::new("inv.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn node_with_vms_and_defaults() {
        let inv = parse(
            r#"
[[node]]
name = "n1"
cores = 4
facts = { kernel = "6.1", numa = 1, smt = false }
[[node.vm]]
name = "n1-vm1"
address = "10.0.1.1"
cores = 2
hypervisor = "kvm"
nic = "virtio"
"#,
        )
        .unwrap();
        let n = &inv.nodes[0];
        assert_eq!(n.host.address, "n1");
        assert_eq!(n.host.hypervisor, "none");
        assert_eq!(n.host.facts["numa"], FactValue::Int(1));
        assert_eq!(n.host.facts["smt"], FactValue::Bool(false));
        assert_eq!(n.vms[0].address, "10.0.1.1");
        assert_eq!(n.vms[0].nic.as_deref(), Some("virtio"));
        assert_eq!(n.vms[0].disk, None);
        assert_eq!(inv.find("n1-vm1").unwrap().0.name(), "n1");
    }

    #[test]
    fn errors_name_file_and_field() {
        let e = parse("[[node]]\nname = \"n1\"\ncores = 0\n").unwrap_err();
        assert_eq!(
            e,
            "inventory inv.toml: node[0] ('n1').cores: expected an integer >= 1, found 0"
        );
        let e = parse("[[node]]\nname = \"n1\"\ncores = 2\nhypervisr = \"kvm\"\n").unwrap_err();
        assert!(e.starts_with("inventory inv.toml: "), "{e}");
        assert!(e.contains("hypervisr"), "{e}");
        let e = parse("[[node]]\nname = \"n1\"\n").unwrap_err();
        assert!(e.contains("missing field `cores`"), "{e}");
        let e = parse(
            "[[node]]\nname = \"n1\"\ncores = 2\n[[node.vm]]\nname = \"n1\"\ncores = 1\nhypervisor = \"kvm\"\n",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "inventory inv.toml: node[0].vm[0] ('n1').name: 'n1' is already used by node[0] ('n1'); names and addresses must be unique"
        );
        let e = parse("[[node]]\nname = \"n1\"\ncores = 2\n[[node.vm]]\nname = \"v\"\ncores = 1\n")
            .unwrap_err();
        assert!(e.contains("missing field `hypervisor`"), "{e}");
        let e = parse("").unwrap_err();
        assert_eq!(
            e,
            "inventory inv.toml: node: no [[node]] tables: list at least one node"
        );
    }
}
