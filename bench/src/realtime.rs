//! `make bench-realtime` (also part of `make bench`): the WebSocket server
//! under many idle subscribers (RT-1, RT-2, RT-4).
//!
//! The server runs in a child process of this binary (so its memory can be
//! read from /proc on its own) against a fresh SQLite database into which N
//! users, their sessions, one direct conversation each with an "actor" user,
//! and follows of the actor are bulk-inserted. Access tokens are signed here
//! with the server's secret. Then, from this process, with tokio-tungstenite:
//!
//! 1. Idle subscribers: N sockets each do `connection_init` and subscribe to
//!    `notificationReceived`; the server's RSS is read before and at steps
//!    up to N: memory per idle subscriber.
//! 2. Targeted fan-out: the actor sends chat messages over HTTP at a steady
//!    rate to random subscribers; each message stores a MESSAGE notification
//!    that the recipient's subscription receives. Latency = mutation sent →
//!    notification received, p50/p99, first with only 100 subscribers
//!    connected (the baseline) and then with all N.
//! 3. Broadcast fan-out: every subscriber also watches the actor's presence;
//!    the actor connects and disconnects, and each change reaches all N.
//!    Latency per delivery, p50/p99.
//! 4. Scale-up: the presence subscriptions are completed and more sockets
//!    connect, up to `--scale-to` (default 50,000), each with its one
//!    `notificationReceived` subscription: server memory at that count and
//!    targeted latency there.
//!
//! Both processes raise their open-file limit (`RLIMIT_NOFILE`) to what the
//! run needs, or to the hard limit where they may not go beyond it; the
//! scale-up stops at what that limit allows and says so. Above 20,000 sockets
//! the client spreads its source addresses over 127.0.0.x, since one source
//! address has only about 28,000 ephemeral ports towards one server port.
//!
//! The server's global allocator counts live heap bytes (mimalloc underneath,
//! as in the `vitrine` binary), so each row gives the heap per subscriber
//! beside the RSS.
//!
//! The modules beside this one: `realtime_server` (the counting allocator,
//! the open-file limit, the server child process and its memory readings),
//! `realtime_data` (the bulk-inserted dataset), `realtime_client` (sockets,
//! the subscriber task, connecting in bulk, targeted and broadcast latency)
//! and `realtime_report` (writing the results).
mod realtime_client;
mod realtime_data;
mod realtime_report;
mod realtime_server;
mod stats;

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use clap::Parser;
use serde_json::json;

use realtime_client::{
    Latency, NO_SUBSCRIBE, PresencePhase, STOPPING, Shared, broadcast, connect_many, targeted,
};
use realtime_data::Subscriber;
use realtime_report::{Results, Step};
use realtime_server::{Control, SPARE_FDS, Server, raise_open_files, rss_kib, settled_rss};

#[derive(Parser)]
struct Args {
    /// Idle subscribers at the last step of the memory and latency phases.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Subscribers at the end of the scale-up phase (memory and targeted
    /// latency only); 0 or at most `--subscribers` skips the phase.
    #[arg(long, default_value_t = 50_000)]
    scale_to: usize,
    /// Targeted events per second during the latency phases.
    #[arg(long, default_value_t = 50)]
    rate: u64,
    /// Seconds each targeted latency phase lasts.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Markdown file the results are written to.
    #[arg(long, default_value = "bench/results/realtime.md")]
    out: PathBuf,
    /// Only `connection_init`, no subscription (to tell socket cost from
    /// subscription cost).
    #[arg(long)]
    no_subscribe: bool,
    /// Internal: run the server (the child process).
    #[arg(long, hide = true)]
    serve_child: bool,
    /// Profiling: a command the server process is started under (for
    /// example `heaptrack`); its RSS readings are then the wrapper's.
    #[arg(long, hide = true)]
    server_wrapper: Option<String>,
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.serve_child {
        // The sockets of the run and the server's own descriptors.
        raise_open_files((args.subscribers.max(args.scale_to) + 2 * SPARE_FDS) as u64);
        return realtime_server::serve_child().await;
    }
    NO_SUBSCRIBE.store(args.no_subscribe, Ordering::Relaxed);
    let wanted = args.subscribers.max(args.scale_to);
    let open_files = raise_open_files((wanted + 2 * SPARE_FDS) as u64);
    // The server inherits the same hard limit: both sides stop there.
    let reachable = (open_files as usize).saturating_sub(SPARE_FDS);
    let n = args.subscribers.min(reachable);
    let scale_to = args.scale_to.min(reachable);
    let fd_note = (wanted > reachable).then(|| {
        format!(
            "{wanted} subscribers were asked for; this machine's open-file limit is {open_files} \
             per process (`ulimit -Hn`; raising it needs `CAP_SYS_RESOURCE`), so the run \
             stops at {}.",
            n.max(scale_to)
        )
    });
    if let Some(note) = &fd_note {
        eprintln!(">> {note}");
    }
    let dir = tempfile::tempdir()?;
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("rt.db").display());
    let data_dir = dir.path().join("data").display().to_string();
    let vars = realtime_server::server_vars(&db_url, &data_dir);
    let total = n.max(scale_to);
    eprintln!(">> seeding {total} users, sessions, conversations and follows");
    let data = realtime_data::dataset(&vars, total).await?;
    let actor_id = data.subscribers[0].user_id - 1;

    eprintln!(">> starting the server process");
    let Server {
        mut child,
        pid,
        mut control,
        addr: server,
    } = realtime_server::spawn(args.server_wrapper.as_deref(), n, scale_to, &vars).await?;
    let base = format!("http://{server}");
    let http = reqwest::Client::new();
    // Warm the server (first queries, allocator) before the baseline reading.
    for _ in 0..20 {
        http.post(format!("{base}/graphql"))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await?;
    }
    // Startup work settles (caches filled, freed pages returned) before
    // the reading every row is compared with.
    let heap0 = control.heap().await?;
    let rss0 = settled_rss(pid).await;

    let subs: Vec<Arc<Subscriber>> = data.subscribers.into_iter().map(Arc::new).collect();
    let (phase_tx, phase_rx) = tokio::sync::watch::channel(PresencePhase::Off);
    let shared = Shared {
        server,
        actor_id,
        arrivals: Arc::default(),
        presence: Arc::default(),
        ready: Arc::new(AtomicUsize::new(0)),
        phase: phase_rx,
    };
    let latency = async |connected: usize| -> anyhow::Result<Latency> {
        eprintln!(">> targeted latency with {connected} subscribers");
        targeted(
            &http,
            &base,
            &data.actor_token,
            &subs[..connected],
            &shared.arrivals,
            args.rate,
            args.seconds,
        )
        .await
    };

    // Baseline latency with 100 subscribers.
    let small = 100.min(n);
    connect_many(&shared, &subs[..small], 0).await;
    let baseline = latency(small).await?;

    let mut steps: Vec<Step> = Vec::new();
    let mut connected = small;
    let connect_to = async |upto: usize,
                            connected: &mut usize,
                            control: &mut Control|
           -> anyhow::Result<Step> {
        eprintln!(">> connecting subscribers {connected}..{upto}");
        let started = Instant::now();
        connect_many(&shared, &subs[*connected..upto], *connected).await;
        let rate = (upto - *connected) as f64 / started.elapsed().as_secs_f64();
        *connected = upto;
        // The heap reading first: it has the server return freed memory.
        let heap = control.heap().await?;
        let step = Step {
            subscribers: upto,
            rss_kib: rss_kib(pid),
            heap,
            connects_per_s: rate,
        };
        let per = |now: u64, before: u64| (now as f64 - before as f64) / 1024.0 / upto as f64;
        eprintln!(
            "   {upto} subscribers: server RSS {} KiB, {:.1} KiB per subscriber; per subscriber: Rust heap {:.1} KiB, mimalloc committed {:.1} KiB, glibc {:.1} KiB",
            step.rss_kib,
            step.rss_kib.saturating_sub(rss0) as f64 / upto as f64,
            per(step.heap.live, heap0.live),
            per(step.heap.mimalloc, heap0.mimalloc),
            per(step.heap.glibc, heap0.glibc),
        );
        Ok(step)
    };
    for step in [1_000, 2_500, 5_000, 10_000, 20_000] {
        let upto = step.min(n);
        if upto <= connected {
            continue;
        }
        steps.push(connect_to(upto, &mut connected, &mut control).await?);
        if upto == n {
            break;
        }
    }

    let loaded = latency(connected).await?;

    eprintln!(">> broadcast: {connected} subscribers watch one user's presence");
    let _ = phase_tx.send(PresencePhase::Watch);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rounds = 5;
    let broadcast_ms = broadcast(&shared, &data.actor_token, connected, rounds).await?;
    let measured = connected;
    let rss_measured = rss_kib(pid);

    // Scale-up: back to one subscription per socket, then more sockets.
    let mut scaled: Option<(usize, Latency)> = None;
    if scale_to > connected {
        let _ = phase_tx.send(PresencePhase::Done);
        tokio::time::sleep(Duration::from_secs(3)).await;
        for step in [20_000, 30_000, 40_000, 50_000, 75_000, 100_000] {
            let upto = step.min(scale_to);
            if upto <= connected {
                continue;
            }
            steps.push(connect_to(upto, &mut connected, &mut control).await?);
            if upto == scale_to {
                break;
            }
        }
        scaled = Some((connected, latency(connected).await?));
    }
    let rss_end = rss_kib(pid);
    STOPPING.store(true, Ordering::SeqCst);
    drop(control);
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;

    let results = Results {
        rate: args.rate,
        seconds: args.seconds,
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
    };
    realtime_report::write(&args.out, &results)?;
    std::process::exit(0);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run().await
}
