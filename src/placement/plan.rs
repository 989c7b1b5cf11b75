//! Inventory + placement -> the launch: which hosts, how many ranks on
//! each, the cores they are bound to, the MPI launcher's files and command
//! line, and the placement's facts for the results document.
//!
//! Pure: nothing here reads files, runs anything or looks at the clock, so
//! the whole mapping is snapshot-tested below.
//!
//! Ranks are numbered node by node in inventory order, and within a node
//! host by host (VMs in inventory order); a host's ranks are consecutive
//! and rank k of a host is bound to the host's core k (cores as the host
//! sees them: a VM's vCPUs, a node's logical CPUs). That is Open MPI's
//! rankfile `rank R=ADDRESS slot=K`; MPICH's hydra gets the same order from
//! a hostfile `ADDRESS:RANKS` with `-bind-to core`.

use serde_json::{json, Value};
use thiserror::Error;

use super::inventory::{Host, Inventory};
use super::spec::Placement;

/// The MPI launcher the plan is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mpi {
    /// Open MPI's `mpirun` with a hostfile and a rankfile.
    Openmpi,
    /// MPICH's hydra `mpiexec` with a hostfile.
    Mpich,
}

/// How `rhpcc launch` starts the ranks, beyond the plan itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launcher {
    pub mpi: Mpi,
    /// Bind each rank to its core (Open MPI's rankfile, MPICH's
    /// `-bind-to core`); false: `--bind-to none` and no rankfile, for
    /// binding done by a wrapper.
    pub bind: bool,
    /// Program and arguments put before rhpcc on every rank (e.g. a
    /// binding or profiling wrapper).
    pub wrap: Vec<String>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("placement {placement}: node '{node}' has {found} VM(s) with exactly {cores} core(s){names}, the placement needs {vms}")]
    TooFewVms {
        placement: String,
        node: String,
        cores: usize,
        vms: usize,
        found: usize,
        names: String,
    },
    #[error("placement {placement}: host '{host}' has {cores} core(s), the placement puts {ranks} rank(s) on it (one rank per core)")]
    TooFewCores {
        placement: String,
        host: String,
        cores: usize,
        ranks: usize,
    },
    #[error("placement {placement}: no node or VM called '{host}' in the inventory")]
    UnknownHost { placement: String, host: String },
}

/// One host of the launch with its ranks.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedHost {
    /// The physical node the host is (or is on).
    pub node: String,
    pub is_vm: bool,
    pub host: Host,
    /// Ranks on this host, bound to its cores 0..ranks-1.
    pub ranks: usize,
}

/// Where the launcher's files are, as they appear in the command line.
#[derive(Clone, Debug)]
pub struct FilePaths {
    pub openmpi_hostfile: String,
    pub rankfile: String,
    pub mpich_hostfile: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LaunchPlan {
    pub label: String,
    kind: &'static str,
    pub hosts: Vec<PlacedHost>,
}

/// Map a placement onto an inventory.
pub fn plan(inv: &Inventory, placement: &Placement) -> Result<LaunchPlan, PlanError> {
    let label = placement.label();
    let too_few_cores = |h: &Host, ranks: usize| PlanError::TooFewCores {
        placement: label.clone(),
        host: h.name.clone(),
        cores: h.cores,
        ranks,
    };
    let mut hosts = Vec::new();
    let kind = match placement {
        Placement::Native { cores } => {
            for n in &inv.nodes {
                let ranks = cores.unwrap_or(n.host.cores);
                if ranks > n.host.cores {
                    return Err(too_few_cores(&n.host, ranks));
                }
                hosts.push(PlacedHost {
                    node: n.name().into(),
                    is_vm: false,
                    host: n.host.clone(),
                    ranks,
                });
            }
            "native"
        }
        Placement::Vms { vms, cores } => {
            for n in &inv.nodes {
                let fit: Vec<&Host> = n.vms.iter().filter(|v| v.cores == *cores).collect();
                if fit.len() < *vms {
                    let names = fit.iter().map(|v| v.name.as_str()).collect::<Vec<_>>();
                    return Err(PlanError::TooFewVms {
                        placement: label,
                        node: n.name().into(),
                        cores: *cores,
                        vms: *vms,
                        found: fit.len(),
                        names: if names.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", names.join(", "))
                        },
                    });
                }
                for v in &fit[..*vms] {
                    hosts.push(PlacedHost {
                        node: n.name().into(),
                        is_vm: true,
                        host: (*v).clone(),
                        ranks: *cores,
                    });
                }
            }
            "vms"
        }
        Placement::Explicit(list) => {
            for (name, ranks) in list {
                let (node, host) = inv.find(name).ok_or_else(|| PlanError::UnknownHost {
                    placement: label.clone(),
                    host: name.clone(),
                })?;
                if *ranks > host.cores {
                    return Err(too_few_cores(host, *ranks));
                }
                hosts.push(PlacedHost {
                    node: node.name().into(),
                    is_vm: host.name != node.name(),
                    host: host.clone(),
                    ranks: *ranks,
                });
            }
            "explicit"
        }
    };
    Ok(LaunchPlan { label, kind, hosts })
}

/// The one value all items share, or None.
fn common<T: PartialEq + Clone>(mut items: impl Iterator<Item = T>) -> Option<T> {
    let first = items.next()?;
    items.all(|x| x == first).then_some(first)
}

impl LaunchPlan {
    pub fn ranks(&self) -> usize {
        self.hosts.iter().map(|h| h.ranks).sum()
    }

    /// Physical nodes used, in rank order.
    pub fn nodes(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for h in &self.hosts {
            if !seen.contains(&h.node.as_str()) {
                seen.push(h.node.as_str());
            }
        }
        seen
    }

    /// Open MPI hostfile: `ADDRESS slots=RANKS`.
    pub fn openmpi_hostfile(&self) -> String {
        self.hosts
            .iter()
            .map(|h| format!("{} slots={}\n", h.host.address, h.ranks))
            .collect()
    }

    /// Open MPI rankfile: `rank R=ADDRESS slot=CORE`, one line per rank.
    pub fn rankfile(&self) -> String {
        let mut out = String::new();
        let mut rank = 0;
        for h in &self.hosts {
            for core in 0..h.ranks {
                out.push_str(&format!("rank {rank}={} slot={core}\n", h.host.address));
                rank += 1;
            }
        }
        out
    }

    /// MPICH (hydra) hostfile: `ADDRESS:RANKS`.
    pub fn mpich_hostfile(&self) -> String {
        self.hosts
            .iter()
            .map(|h| format!("{}:{}\n", h.host.address, h.ranks))
            .collect()
    }

    /// The launcher's command line: `rhpcc run` on every rank, with the
    /// placement's label and facts, then `run_args`; when `run_args` starts
    /// with `micro <kind>`, `rhpcc micro <kind>` instead.
    pub fn command(
        &self,
        launcher: &Launcher,
        files: &FilePaths,
        rhpcc: &str,
        run_args: &[String],
    ) -> Vec<String> {
        let np = self.ranks().to_string();
        let mut argv: Vec<String> = match (launcher.mpi, launcher.bind) {
            (Mpi::Openmpi, true) => vec![
                "mpirun",
                "-np",
                &np,
                "--hostfile",
                &files.openmpi_hostfile,
                "--rankfile",
                &files.rankfile,
            ],
            (Mpi::Openmpi, false) => vec![
                "mpirun",
                "-np",
                &np,
                "--hostfile",
                &files.openmpi_hostfile,
                "--bind-to",
                "none",
            ],
            (Mpi::Mpich, bind) => vec![
                "mpiexec",
                "-f",
                &files.mpich_hostfile,
                "-n",
                &np,
                "-bind-to",
                if bind { "core" } else { "none" },
            ],
        }
        .into_iter()
        .map(String::from)
        .collect();
        argv.extend(launcher.wrap.iter().cloned());
        let (sub, rest): (&[String], &[String]) = match run_args {
            [micro, _kind, rest @ ..] if micro == "micro" => (&run_args[..2], rest),
            _ => (&[], run_args),
        };
        argv.push(rhpcc.to_string());
        if sub.is_empty() {
            argv.push("run".into());
        } else {
            argv.extend(sub.iter().cloned());
        }
        argv.extend([
            "--placement".into(),
            self.label.clone(),
            "--placement-facts".into(),
            self.facts().to_string(),
        ]);
        argv.extend(rest.iter().cloned());
        argv
    }

    /// The `placement_facts` object of the results document.
    pub fn facts(&self) -> Value {
        let nodes = self.nodes();
        let vms_per_node = common(nodes.iter().map(|n| {
            self.hosts
                .iter()
                .filter(|h| h.is_vm && h.node == *n)
                .count()
        }));
        let vms: Vec<&PlacedHost> = self.hosts.iter().filter(|h| h.is_vm).collect();
        let cores_per_vm = common(vms.iter().map(|h| h.host.cores));
        let hypervisor = common(self.hosts.iter().map(|h| h.host.hypervisor.clone()));
        let nic = common(self.hosts.iter().map(|h| h.host.nic.clone())).flatten();
        let disk = common(self.hosts.iter().map(|h| h.host.disk.clone())).flatten();
        let hosts: Vec<Value> = self
            .hosts
            .iter()
            .map(|h| {
                json!({
                    "name": h.host.name,
                    "address": h.host.address,
                    "node": h.node,
                    "vm": h.is_vm,
                    "cores": h.host.cores,
                    "ranks": h.ranks,
                    "hypervisor": h.host.hypervisor,
                    "nic": h.host.nic,
                    "disk": h.host.disk,
                    "facts": h.host.facts,
                })
            })
            .collect();
        json!({
            "placement": self.label,
            "kind": self.kind,
            "nodes": nodes.len(),
            "node_names": nodes,
            "vms_per_node": vms_per_node,
            "cores_per_vm": cores_per_vm,
            "ranks_per_host": common(self.hosts.iter().map(|h| h.ranks)),
            "ranks": self.ranks(),
            "hypervisor": hypervisor,
            "nic": nic,
            "disk": disk,
            "hosts": hosts,
        })
    }
}

/// `argv` as one line a POSIX shell reads back as the same words.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Two nodes of 4 cores, each with one VM of 4 vCPUs and four of 1.
    const INVENTORY: &str = r#"
[[node]]
name = "n1"
address = "10.0.0.1"
cores = 4
nic = "mlx5"
[[node.vm]]
name = "n1-big"
address = "10.0.1.1"
cores = 4
hypervisor = "kvm"
nic = "virtio"
disk = "virtio-blk"
[[node.vm]]
name = "n1-s0"
cores = 1
hypervisor = "kvm"
nic = "virtio"
disk = "virtio-blk"
[[node.vm]]
name = "n1-s1"
cores = 1
hypervisor = "kvm"
nic = "virtio"
disk = "virtio-blk"
[[node.vm]]
name = "n1-s2"
cores = 1
hypervisor = "kvm"
nic = "virtio"
disk = "virtio-blk"
[[node.vm]]
name = "n1-s3"
cores = 1
hypervisor = "kvm"
nic = "virtio"
disk = "virtio-blk"

[[node]]
name = "n2"
address = "10.0.0.2"
cores = 4
nic = "mlx5"
[[node.vm]]
name = "n2-big"
address = "10.0.1.2"
cores = 4
hypervisor = "kvm"
nic = "virtio"
disk = "virtio-blk"
[[node.vm]]
name = "n2-s0"
cores = 1
hypervisor = "kvm"
nic = "virtio"
disk = "virtio-blk"
[[node.vm]]
name = "n2-s1"
cores = 1
hypervisor = "kvm"
nic = "virtio"
disk = "virtio-blk"
[[node.vm]]
name = "n2-s2"
cores = 1
hypervisor = "kvm"
nic = "e1000"
disk = "virtio-blk"
[[node.vm]]
name = "n2-s3"
cores = 1
hypervisor = "kvm"
nic = "virtio"
disk = "virtio-blk"
"#;

    fn plan_of(spec: &str) -> Result<LaunchPlan, PlanError> {
        let inv = Inventory::parse(INVENTORY, Path::new("inv.toml")).unwrap();
        plan(&inv, &Placement::parse(spec).unwrap())
    }

    fn files() -> FilePaths {
        FilePaths {
            openmpi_hostfile: "out/hostfile".into(),
            rankfile: "out/rankfile".into(),
            mpich_hostfile: "out/hosts.mpich".into(),
        }
    }

    #[test]
    fn one_vm_of_four_cores_over_two_nodes() {
        let p = plan_of("1V/4C").unwrap();
        assert_eq!(p.openmpi_hostfile(), "10.0.1.1 slots=4\n10.0.1.2 slots=4\n");
        assert_eq!(
            p.rankfile(),
            "rank 0=10.0.1.1 slot=0\n\
             rank 1=10.0.1.1 slot=1\n\
             rank 2=10.0.1.1 slot=2\n\
             rank 3=10.0.1.1 slot=3\n\
             rank 4=10.0.1.2 slot=0\n\
             rank 5=10.0.1.2 slot=1\n\
             rank 6=10.0.1.2 slot=2\n\
             rank 7=10.0.1.2 slot=3\n"
        );
        assert_eq!(p.mpich_hostfile(), "10.0.1.1:4\n10.0.1.2:4\n");
        let f = p.facts();
        assert_eq!(f["placement"], "1V/4C");
        assert_eq!(f["kind"], "vms");
        assert_eq!(f["nodes"], 2);
        assert_eq!(f["node_names"], json!(["n1", "n2"]));
        assert_eq!(f["vms_per_node"], 1);
        assert_eq!(f["cores_per_vm"], 4);
        assert_eq!(f["ranks_per_host"], 4);
        assert_eq!(f["ranks"], 8);
        assert_eq!(f["hypervisor"], "kvm");
        assert_eq!(f["nic"], "virtio");
        assert_eq!(f["disk"], "virtio-blk");
        assert_eq!(f["hosts"][1]["name"], "n2-big");
        assert_eq!(f["hosts"][1]["node"], "n2");
    }

    #[test]
    fn four_vms_of_one_core_over_two_nodes() {
        let p = plan_of("4V/1C").unwrap();
        assert_eq!(
            p.openmpi_hostfile(),
            "n1-s0 slots=1\nn1-s1 slots=1\nn1-s2 slots=1\nn1-s3 slots=1\n\
             n2-s0 slots=1\nn2-s1 slots=1\nn2-s2 slots=1\nn2-s3 slots=1\n"
        );
        assert_eq!(
            p.rankfile(),
            "rank 0=n1-s0 slot=0\n\
             rank 1=n1-s1 slot=0\n\
             rank 2=n1-s2 slot=0\n\
             rank 3=n1-s3 slot=0\n\
             rank 4=n2-s0 slot=0\n\
             rank 5=n2-s1 slot=0\n\
             rank 6=n2-s2 slot=0\n\
             rank 7=n2-s3 slot=0\n"
        );
        assert_eq!(
            p.mpich_hostfile(),
            "n1-s0:1\nn1-s1:1\nn1-s2:1\nn1-s3:1\nn2-s0:1\nn2-s1:1\nn2-s2:1\nn2-s3:1\n"
        );
        let f = p.facts();
        assert_eq!(f["vms_per_node"], 4);
        assert_eq!(f["cores_per_vm"], 1);
        assert_eq!(f["ranks_per_host"], 1);
        assert_eq!(f["ranks"], 8);
        // n2-s2 has an e1000: no common NIC, but each host keeps its own.
        assert_eq!(f["nic"], Value::Null);
        assert_eq!(f["hosts"][6]["nic"], "e1000");
    }

    #[test]
    fn native_over_two_nodes() {
        let p = plan_of("native").unwrap();
        assert_eq!(p.openmpi_hostfile(), "10.0.0.1 slots=4\n10.0.0.2 slots=4\n");
        assert_eq!(p.rankfile().lines().count(), 8);
        assert_eq!(p.rankfile().lines().nth(5), Some("rank 5=10.0.0.2 slot=1"));
        let f = p.facts();
        assert_eq!(f["kind"], "native");
        assert_eq!(f["vms_per_node"], 0);
        assert_eq!(f["cores_per_vm"], Value::Null);
        assert_eq!(f["hypervisor"], "none");
        assert_eq!(f["nic"], "mlx5");
        assert_eq!(f["disk"], Value::Null);

        let p = plan_of("native/2C").unwrap();
        assert_eq!(
            p.rankfile(),
            "rank 0=10.0.0.1 slot=0\nrank 1=10.0.0.1 slot=1\n\
             rank 2=10.0.0.2 slot=0\nrank 3=10.0.0.2 slot=1\n"
        );
        assert_eq!(p.facts()["placement"], "native/2C");
    }

    #[test]
    fn explicit_placement_in_the_order_given() {
        let p = plan_of("n2-big:2,n1-s0:1,n1:1").unwrap();
        assert_eq!(
            p.openmpi_hostfile(),
            "10.0.1.2 slots=2\nn1-s0 slots=1\n10.0.0.1 slots=1\n"
        );
        assert_eq!(
            p.rankfile(),
            "rank 0=10.0.1.2 slot=0\nrank 1=10.0.1.2 slot=1\n\
             rank 2=n1-s0 slot=0\nrank 3=10.0.0.1 slot=0\n"
        );
        let f = p.facts();
        assert_eq!(f["kind"], "explicit");
        assert_eq!(f["node_names"], json!(["n2", "n1"]));
        // n2 has one VM, n1 one VM and itself: VMs per node agree (1),
        // their cores do not.
        assert_eq!(f["vms_per_node"], 1);
        assert_eq!(f["cores_per_vm"], Value::Null);
        assert_eq!(f["ranks_per_host"], Value::Null);
        assert_eq!(f["hypervisor"], Value::Null);
        assert_eq!(f["hosts"][2]["vm"], false);
    }

    #[test]
    fn commands_for_both_launchers() {
        let p = plan_of("4V/1C").unwrap();
        let facts = p.facts().to_string();
        let args = vec!["--tests".to_string(), "stream".to_string()];
        let bound = |mpi| Launcher {
            mpi,
            bind: true,
            wrap: Vec::new(),
        };
        let cmd = p.command(&bound(Mpi::Openmpi), &files(), "/opt/rhpcc", &args);
        assert_eq!(
            cmd,
            [
                "mpirun",
                "-np",
                "8",
                "--hostfile",
                "out/hostfile",
                "--rankfile",
                "out/rankfile",
                "/opt/rhpcc",
                "run",
                "--placement",
                "4V/1C",
                "--placement-facts",
                &facts,
                "--tests",
                "stream"
            ]
        );
        let micro: Vec<String> = ["micro", "net", "--duration", "2"].map(String::from).into();
        let cmd = p.command(&bound(Mpi::Openmpi), &files(), "/opt/rhpcc", &micro);
        assert_eq!(
            cmd[7..],
            [
                "/opt/rhpcc",
                "micro",
                "net",
                "--placement",
                "4V/1C",
                "--placement-facts",
                &facts,
                "--duration",
                "2"
            ]
        );
        let wrapped = Launcher {
            mpi: Mpi::Openmpi,
            bind: false,
            wrap: vec!["bind.sh".into(), "core".into()],
        };
        let cmd = p.command(&wrapped, &files(), "/opt/rhpcc", &args);
        assert_eq!(
            cmd[..10],
            [
                "mpirun",
                "-np",
                "8",
                "--hostfile",
                "out/hostfile",
                "--bind-to",
                "none",
                "bind.sh",
                "core",
                "/opt/rhpcc"
            ]
        );
        let cmd = p.command(&bound(Mpi::Mpich), &files(), "rhpcc", &[]);
        assert_eq!(
            cmd[..8],
            [
                "mpiexec",
                "-f",
                "out/hosts.mpich",
                "-n",
                "8",
                "-bind-to",
                "core",
                "rhpcc"
            ]
        );
        let line = shell_line(&cmd);
        assert!(line.starts_with(
            "mpiexec -f out/hosts.mpich -n 8 -bind-to core rhpcc run --placement 4V/1C --placement-facts '{"
        ));
        assert_eq!(
            shell_line(&["a b".into(), "it's".into(), String::new()]),
            r"'a b' 'it'\''s' ''"
        );
    }

    #[test]
    fn placements_the_inventory_cannot_hold() {
        assert_eq!(
            plan_of("2V/4C").unwrap_err().to_string(),
            "placement 2V/4C: node 'n1' has 1 VM(s) with exactly 4 core(s) (n1-big), the placement needs 2"
        );
        assert_eq!(
            plan_of("1V/2C").unwrap_err().to_string(),
            "placement 1V/2C: node 'n1' has 0 VM(s) with exactly 2 core(s), the placement needs 1"
        );
        assert_eq!(
            plan_of("native/8C").unwrap_err().to_string(),
            "placement native/8C: host 'n1' has 4 core(s), the placement puts 8 rank(s) on it (one rank per core)"
        );
        assert_eq!(
            plan_of("n1-s0:2").unwrap_err().to_string(),
            "placement n1-s0:2: host 'n1-s0' has 1 core(s), the placement puts 2 rank(s) on it (one rank per core)"
        );
        assert_eq!(
            plan_of("n9:1").unwrap_err().to_string(),
            "placement n9:1: no node or VM called 'n9' in the inventory"
        );
    }
}
