//! `rhpcc micro net`: not implemented yet (work in progress on a branch).

use clap::Args as ClapArgs;
use serde_json::{json, Value};

use super::Common;
use crate::report::TestResult;
use crate::world::World;

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
}

impl Args {
    pub fn parameters(&self) -> Value {
        json!({})
    }
}

pub fn run(_world: &World, _args: &Args) -> anyhow::Result<TestResult> {
    anyhow::bail!("rhpcc micro net is not implemented yet")
}
