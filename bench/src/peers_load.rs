//! The load generator of the peer benchmark: `wrk` (one thread, pinned to
//! the load CPU) with a Lua script that POSTs one GraphQL body and prints
//! its summary in a line this module parses.
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// One wrk run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Run {
    pub requests: u64,
    pub seconds: f64,
    pub bytes: u64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
    /// Answers with a status other than 2xx or 3xx.
    pub bad_status: u64,
}

impl Run {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Writes the wrk script that sends `body` (JSON) to `dir/<name>.lua`.
pub fn script(dir: &Path, name: &str, body: &str) -> anyhow::Result<PathBuf> {
    let mut level = 1;
    while body.contains(&format!("]{}]", "=".repeat(level))) {
        level += 1;
    }
    let eq = "=".repeat(level);
    let lua = format!(
        r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = [{eq}[{body}]{eq}]

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    e.connect, e.read, e.write, e.timeout, e.status))
end
"#
    );
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, lua)?;
    Ok(path)
}

/// `wrk -t1 -c<connections> -d<seconds>s` on `url` with `script`, pinned
/// to `cpu`.
pub async fn wrk(
    cpu: usize,
    url: &str,
    script: &Path,
    connections: u32,
    seconds: u32,
) -> anyhow::Result<Run> {
    let output = tokio::process::Command::new("taskset")
        .arg("-c")
        .arg(cpu.to_string())
        .arg("wrk")
        .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(script)
        .arg(url)
        .kill_on_drop(true)
        .output()
        .await
        .context("running wrk (make bench-peers installs it)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRK_RESULT "))
        .with_context(|| format!("no WRK_RESULT line in wrk's output:\n{stdout}"))?;
    let n: Vec<f64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("unreadable WRK_RESULT {line}"))?;
    if n.len() != 9 {
        bail!("unreadable WRK_RESULT {line}");
    }
    Ok(Run {
        requests: n[0] as u64,
        seconds: n[1] / 1e6,
        bytes: n[2] as u64,
        p50_ms: n[3] / 1e3,
        socket_errors: (n[4] + n[5] + n[6] + n[7]) as u64,
        bad_status: n[8] as u64,
    })
}

/// `wrk --version`'s first line.
pub fn version() -> String {
    std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .ok()
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines()
                .next()
                .unwrap_or_default()
                .split(" Copyright")
                .next()
                .unwrap_or_default()
                .trim()
                .trim_start_matches("wrk ")
                .to_owned()
        })
        .unwrap_or_else(|| "wrk (version unknown)".into())
}
