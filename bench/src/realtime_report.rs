//! `bench/results/realtime.md` from the readings of `realtime-bench`: the
//! server's memory per idle subscriber, targeted and broadcast latency.
use std::{path::Path, sync::atomic::Ordering};

use crate::{
    realtime_client::{FAILED, Latency},
    realtime_server::Heap,
    stats::percentile,
};

/// One row of the memory table.
#[derive(Clone, Copy)]
pub struct Step {
    pub subscribers: usize,
    pub rss_kib: u64,
    pub heap: Heap,
    pub connects_per_s: f64,
}

/// What the run measured.
pub struct Results {
    /// Targeted events per second and seconds per latency phase.
    pub rate: u64,
    pub seconds: u64,
    /// The note on an open-file limit below what was asked for.
    pub fd_note: Option<String>,
    /// Subscribers of the memory and latency phases.
    pub n: usize,
    /// Subscribers connected at the end (the scale-up's, if it ran).
    pub connected: usize,
    /// Server RSS (KiB) and heap before any socket.
    pub rss0: u64,
    pub heap0: Heap,
    pub steps: Vec<Step>,
    /// The baseline's subscribers and targeted latency.
    pub small: usize,
    pub baseline: Latency,
    /// Subscribers of the targeted (with all N) and broadcast phases.
    pub measured: usize,
    pub loaded: Latency,
    /// The scale-up's subscribers and targeted latency.
    pub scaled: Option<(usize, Latency)>,
    /// Presence rounds of the broadcast phase and its latencies, ascending.
    pub rounds: usize,
    pub broadcast_ms: Vec<f64>,
    /// Server RSS (KiB) after the broadcast phase and at the end.
    pub rss_measured: u64,
    pub rss_end: u64,
}

/// Writes the results to `out` (and to stdout).
pub fn write(out: &Path, r: &Results) -> anyhow::Result<()> {
    let md = markdown(r);
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(out, &md)?;
    println!("{md}");
    eprintln!(">> written to {}", out.display());
    Ok(())
}

fn markdown(r: &Results) -> String {
    let Results {
        rate,
        seconds,
        fd_note,
        n,
        connected,
        rss0,
        heap0,
        steps,
        small,
        baseline,
        measured,
        loaded,
        scaled,
        rounds,
        broadcast_ms,
        rss_measured,
        rss_end,
    } = r;
    let (n, rss0, heap0, measured) = (*n, *rss0, *heap0, *measured);
    let per_sub = |s: &Step| s.rss_kib.saturating_sub(rss0) as f64 / s.subscribers as f64;
    let kib_per_sub =
        |now: u64, before: u64, n: usize| (now as f64 - before as f64) / 1024.0 / n as f64;
    let at_n = steps
        .iter()
        .rfind(|s| s.subscribers <= n)
        .copied()
        .unwrap_or(Step {
            subscribers: n,
            rss_kib: *rss_measured,
            heap: heap0,
            connects_per_s: 0.0,
        });
    let mut md = String::new();
    md.push_str("# Real-time: idle subscribers and fan-out latency\n\n");
    md.push_str(&format!(
        "`make bench-realtime` on {} ({} CPU cores): the server in its own process on SQLite, \
         {n} subscribers (then {} in the scale-up) connected over loopback by tokio-tungstenite \
         from the benchmark process, each with `connection_init` (its own user) and one \
         `notificationReceived` subscription.\n\n",
        std::env::consts::ARCH,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        connected,
    ));
    if let Some(note) = fd_note {
        md.push_str(&format!("{note}\n\n"));
    }
    let failed = FAILED.load(Ordering::SeqCst);
    if failed > 0 {
        md.push_str(&format!(
            "**{failed} sockets failed to connect or subscribe** (counted in N all the same).\n\n"
        ));
    }
    md.push_str("## Idle subscribers: server memory\n\n");
    md.push_str(&format!(
        "Before each reading the server has mimalloc return the memory freed on its threads \
         (`mi_collect`), so that rows compare what is held rather than when the allocator \
         gets round to it. Server RSS before any socket (read once it has stopped changing): \
         {rss0} KiB; Rust heap \
         in use {} KiB, mimalloc committed {} KiB, glibc malloc {} KiB. Per subscriber, beside \
         the RSS: the Rust heap's live bytes (as requested of the allocator), what mimalloc \
         committed for them (size classes, partly used pages), and glibc malloc's bytes \
         (SQLite's page caches and statements).\n\n",
        heap0.live / 1024,
        heap0.mimalloc / 1024,
        heap0.glibc / 1024,
    ));
    md.push_str("| subscribers | server RSS (KiB) | KiB per subscriber (RSS − RSS before) / N | KiB per added subscriber since the previous row | Rust heap KiB per subscriber | mimalloc committed KiB per subscriber | glibc malloc KiB per subscriber | connects/s |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let mut previous = (0usize, rss0);
    for s in steps {
        let marginal = (s.rss_kib as f64 - previous.1 as f64) / (s.subscribers - previous.0) as f64;
        md.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} |\n",
            s.subscribers,
            s.rss_kib,
            per_sub(s),
            marginal,
            kib_per_sub(s.heap.live, heap0.live, s.subscribers),
            kib_per_sub(s.heap.mimalloc, heap0.mimalloc, s.subscribers),
            kib_per_sub(s.heap.glibc, heap0.glibc, s.subscribers),
            s.connects_per_s
        ));
        previous = (s.subscribers, s.rss_kib);
    }
    md.push_str(&format!(
        "\nTarget ≤ 16 KiB per idle subscriber at 10,000: **{:.1} KiB** ({:.1} KB) at {} subscribers.\n",
        per_sub(&at_n),
        per_sub(&at_n) * 1.024,
        at_n.subscribers
    ));
    md.push_str(
        "\nInline sizes of what each idle subscriber keeps (bytes; besides the heap \
         allocations these hold):\n\n",
    );
    for (what, bytes) in vitrine::realtime::footprint() {
        md.push_str(&format!("- {what}: {bytes}\n"));
    }
    if let Some(top) = steps.last().filter(|s| s.subscribers > n) {
        md.push_str(&format!(
            "\nScale-up (after the presence subscriptions of the broadcast phase were completed): \
             **{} subscribers** on one instance, server RSS {} MiB, {:.1} KiB per subscriber.\n",
            top.subscribers,
            top.rss_kib / 1024,
            per_sub(top)
        ));
    }
    md.push_str(&format!(
        "\n## Targeted fan-out\n\n`sendMessage` over HTTP at {} per second for {} s to random subscribers; \
         latency from sending the mutation to the recipient's `notificationReceived` event \
         (it includes the mutation's transaction).\n\n",
        rate, seconds
    ));
    md.push_str("| connected subscribers | delivered / sent | p50 (ms) | p99 (ms) | p99 ÷ baseline p99 |\n|---:|---:|---:|---:|---:|\n");
    let mut rows = vec![(*small, baseline), (measured, loaded)];
    if let Some((count, latency)) = scaled {
        rows.push((*count, latency));
    }
    for (label, l) in rows {
        md.push_str(&format!(
            "| {} | {} / {} | {:.1} | {:.1} | {:.2} |\n",
            label,
            l.delivered,
            l.sent,
            l.p50,
            l.p99,
            l.p99 / baseline.p99
        ));
    }
    md.push_str(&format!(
        "\n## Broadcast fan-out\n\nEvery subscriber also watches one user's `presenceChanged`; that user \
         connects and disconnects {rounds} times. Latency from the change to each of the {measured} \
         deliveries ({} deliveries in all).\n\n| p50 (ms) | p99 (ms) | max (ms) |\n|---:|---:|---:|\n| {:.1} | {:.1} | {:.1} |\n",
        broadcast_ms.len(),
        percentile(broadcast_ms, 0.5),
        percentile(broadcast_ms, 0.99),
        broadcast_ms.last().copied().unwrap_or(f64::NAN),
    ));
    md.push_str(&format!(
        "\nTarget p99 ≤ 250 ms with 10,000 subscribers: targeted **{:.1} ms**, broadcast **{:.1} ms**.\n\n\
         Server RSS after the broadcast phase: {rss_measured} KiB; at the end: {rss_end} KiB.\n",
        loaded.p99,
        percentile(broadcast_ms, 0.99)
    ));
    md
}
