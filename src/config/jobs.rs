//! Background jobs (`src/jobs/`): whether this instance runs them, leases,
//! polling, the scheduler's tick and retention.
use std::time::Duration;

use super::{ConfigError, invalid, vars};

#[derive(Clone, Debug, PartialEq)]
pub struct JobsConfig {
    pub workers: bool,
    pub lease: Duration,
    pub poll_interval: Duration,
    pub scheduler_interval: Duration,
    pub retention: Duration,
}

pub(super) fn parse(env: &vars::Env<'_>) -> Result<JobsConfig, ConfigError> {
    let jobs = JobsConfig {
        workers: env.flag(&vars::JOBS_WORKERS)?,
        lease: env.duration(&vars::JOBS_LEASE)?,
        poll_interval: env.duration(&vars::JOBS_POLL_INTERVAL)?,
        scheduler_interval: env.duration(&vars::JOBS_SCHEDULER_INTERVAL)?,
        retention: env.duration(&vars::JOBS_RETENTION)?,
    };
    if jobs.lease < Duration::from_millis(300) {
        return Err(invalid(vars::JOBS_LEASE.name, "must be at least 300ms"));
    }
    Ok(jobs)
}
