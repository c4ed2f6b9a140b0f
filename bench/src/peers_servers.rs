//! The servers of the peer benchmark as child processes pinned to one CPU:
//! vitrine (`target/release/vitrine serve`), the Node.js peers and the bare
//! async-graphql server; their CPU time from `/proc` and their statement
//! counters.
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};

/// What a server is, for reading its statement counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `db_statements_total` of `/metrics`.
    Vitrine,
    /// The `x-peer-statements` header of any answer.
    Node,
    /// Runs no SQL.
    Bare,
}

/// How to start one server.
pub struct Spawn {
    pub label: String,
    pub kind: Kind,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub cpu: usize,
    pub port: u16,
}

/// A running server; killed when dropped.
pub struct Server {
    pub label: String,
    pub kind: Kind,
    pub port: u16,
    pub pid: u32,
    child: tokio::process::Child,
    log: PathBuf,
}

/// A free loopback port (bound, then released for the child to take).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The variables a process of ours keeps from the environment.
pub fn base_env() -> Vec<(String, String)> {
    ["PATH", "HOME", "LANG", "TMPDIR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect()
}

/// Starts `spec` under `taskset -c <cpu>` (taskset execs it: the pid is the
/// server's), stdout and stderr into `logs/<label>.log`.
pub fn spawn(spec: Spawn, logs: &Path) -> anyhow::Result<Server> {
    let log = logs.join(format!("{}.log", spec.label));
    let out = std::fs::File::create(&log)?;
    let child = tokio::process::Command::new("taskset")
        .arg("-c")
        .arg(spec.cpu.to_string())
        .arg(&spec.program)
        .args(&spec.args)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} ({})", spec.label, spec.program.display()))?;
    let pid = child.id().context("child without a pid")?;
    Ok(Server {
        label: spec.label,
        kind: spec.kind,
        port: spec.port,
        pid,
        child,
        log,
    })
}

impl Server {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    /// The last lines of its log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits until it answers `{ __typename }`.
    pub async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited ({status}) before answering; its log:\n{}",
                    self.label,
                    self.log_tail()
                );
            }
            let answer = http
                .post(self.endpoint())
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .body(r#"{"query":"{ __typename }"}"#)
                .send()
                .await;
            if let Ok(r) = answer
                && r.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!(
                    "{} did not answer within {timeout:?}; its log:\n{}",
                    self.label,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// User + system CPU time of the whole process so far, in clock ticks.
    pub fn cpu_ticks(&self) -> anyhow::Result<u64> {
        cpu_ticks(self.pid)
    }

    /// SQL statements it has run so far (`None`: runs none).
    pub async fn statements(&self, http: &reqwest::Client) -> anyhow::Result<Option<u64>> {
        match self.kind {
            Kind::Bare => Ok(None),
            Kind::Vitrine => {
                let text = http
                    .get(format!("http://127.0.0.1:{}/metrics", self.port))
                    .send()
                    .await?
                    .error_for_status()?
                    .text()
                    .await?;
                let total = text
                    .lines()
                    .find_map(|l| l.strip_prefix("db_statements_total "))
                    .context("no db_statements_total in /metrics")?;
                Ok(Some(total.trim().parse::<f64>()? as u64))
            }
            Kind::Node => {
                let answer = http
                    .post(self.endpoint())
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .body(r#"{"query":"{ __typename }"}"#)
                    .send()
                    .await?;
                let header = answer
                    .headers()
                    .get("x-peer-statements")
                    .context("no x-peer-statements header")?;
                Ok(Some(header.to_str()?.parse()?))
            }
        }
    }
}

/// User + system time of process `pid` (all its threads), in clock ticks:
/// fields 14 and 15 of `/proc/<pid>/stat`.
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces; the fields after it do not.
    let rest = stat.rsplit_once(") ").context("odd /proc/<pid>/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    Ok(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 on Linux).
pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// Waits until none of `servers` uses more than `max_share` of a CPU over a
/// second (background work after start-up: jobs, indexing), at most
/// `timeout`; returns each one's last idle share.
pub async fn settle(
    servers: &[&Server],
    max_share: f64,
    timeout: Duration,
) -> anyhow::Result<Vec<f64>> {
    let hz = clock_ticks_per_second() as f64;
    let started = Instant::now();
    loop {
        let before: Vec<u64> = servers
            .iter()
            .map(|s| s.cpu_ticks())
            .collect::<Result<_, _>>()?;
        let t0 = Instant::now();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let secs = t0.elapsed().as_secs_f64();
        let shares: Vec<f64> = servers
            .iter()
            .zip(&before)
            .map(|(s, b)| -> anyhow::Result<f64> { Ok((s.cpu_ticks()? - b) as f64 / hz / secs) })
            .collect::<anyhow::Result<_>>()?;
        if shares.iter().all(|s| *s <= max_share) || started.elapsed() > timeout {
            return Ok(shares);
        }
    }
}
