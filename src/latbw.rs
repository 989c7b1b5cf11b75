//! Latency and bandwidth (placeholder until the driver lands).
use crate::config::Config;
use crate::report::TestResult;
use crate::world::World;

pub fn run(_world: &World, _cfg: &Config) -> TestResult {
    unimplemented!()
}
