//! The server side of `realtime-bench`: the counting global allocator, the
//! open-file limit, the server child process (started by the parent, served
//! by the same binary with `--serve-child`) and readings of its memory: RSS
//! from `/proc` and the allocators' footprint, reported over its stdout.
use std::{
    alloc::{GlobalAlloc, Layout},
    collections::HashMap,
    net::SocketAddr,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The same allocator as the `vitrine` binary, so the child server's memory
/// is what production would use, counting the bytes it holds for callers.
#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live heap bytes (as requested; mimalloc's size classes round up).
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: every call is forwarded to mimalloc unchanged; only a counter is
// updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

/// Raises this process's open-file limit to `wanted` descriptors, or as far
/// as the hard limit allows where raising that is not permitted (no
/// `CAP_SYS_RESOURCE`). The limit in force afterwards.
#[cfg(target_os = "linux")]
pub fn raise_open_files(wanted: u64) -> u64 {
    #[repr(C)]
    struct RLimit {
        cur: u64,
        max: u64,
    }
    const RLIMIT_NOFILE: i32 = 7;
    unsafe extern "C" {
        fn getrlimit(resource: i32, limit: *mut RLimit) -> i32;
        fn setrlimit(resource: i32, limit: *const RLimit) -> i32;
    }
    let mut now = RLimit { cur: 0, max: 0 };
    // SAFETY: plain libc calls on a valid, initialised struct.
    if unsafe { getrlimit(RLIMIT_NOFILE, &mut now) } != 0 {
        return 1024;
    }
    if now.cur >= wanted {
        return now.cur;
    }
    let beyond = RLimit {
        cur: wanted,
        max: wanted.max(now.max),
    };
    // SAFETY: as above.
    if unsafe { setrlimit(RLIMIT_NOFILE, &beyond) } == 0 {
        return wanted;
    }
    let hard = RLimit {
        cur: now.max,
        max: now.max,
    };
    // SAFETY: as above.
    if unsafe { setrlimit(RLIMIT_NOFILE, &hard) } == 0 {
        return now.max;
    }
    now.cur
}

#[cfg(not(target_os = "linux"))]
pub fn raise_open_files(wanted: u64) -> u64 {
    wanted
}

/// Descriptors each process keeps besides its sockets (database, pipes,
/// runtime, the HTTP client's connections).
pub const SPARE_FDS: usize = 512;

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";

pub fn server_vars(db_url: &str, data_dir: &str) -> HashMap<String, String> {
    HashMap::from([
        ("DATABASE_URL".into(), db_url.into()),
        ("VITRINE_JWT_SECRET".into(), SECRET.into()),
        ("VITRINE_DATA_DIR".into(), data_dir.into()),
        ("VITRINE_LOG".into(), "warn".into()),
        ("VITRINE_ACCESS_TOKEN_TTL".into(), "4h".into()),
        ("VITRINE_BIND".into(), "127.0.0.1:0".into()),
        ("VITRINE_DB_MAX_CONNECTIONS".into(), "8".into()),
        // One actor sends every message: measure delivery, not the limiter.
        ("VITRINE_RATE_LIMIT_USER".into(), "1000000000/60s".into()),
        ("VITRINE_RATE_LIMIT_IP".into(), "1000000000/60s".into()),
    ])
}

pub fn config(vars: &HashMap<String, String>) -> anyhow::Result<vitrine::config::Config> {
    Ok(vitrine::config::Config::from_lookup(|k| {
        vars.get(k).cloned()
    })?)
}

/// The child: serve until stdin closes; print the address when listening
/// and `HEAP <live bytes>` for each `stats` line read.
pub async fn serve_child() -> anyhow::Result<()> {
    let vars: HashMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("VITRINE_") || k == "DATABASE_URL")
        .collect();
    let config = config(&vars)?;
    vitrine::telemetry::init_logging(&config);
    let app = vitrine::build(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("READY {}", listener.local_addr()?);
    app.serve(listener, async {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim() == "stats" {
                release_free_memory().await;
                let (commit, glibc) = allocator_footprint();
                println!(
                    "HEAP {} {commit} {glibc}",
                    LIVE_BYTES.load(Ordering::Relaxed)
                );
            }
        }
    })
    .await
}

/// Memory the allocators hold: mimalloc's committed bytes (the Rust heap
/// with its size classes and free pages) and glibc malloc's bytes in use
/// (SQLite and libtorch allocate there).
#[cfg(target_os = "linux")]
fn allocator_footprint() -> (u64, u64) {
    #[repr(C)]
    #[derive(Default)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    unsafe extern "C" {
        fn mi_process_info(
            elapsed_msecs: *mut usize,
            user_msecs: *mut usize,
            system_msecs: *mut usize,
            current_rss: *mut usize,
            peak_rss: *mut usize,
            current_commit: *mut usize,
            peak_commit: *mut usize,
            page_faults: *mut usize,
        );
        fn mallinfo2() -> MallInfo2;
    }
    let mut v = [0usize; 8];
    let [a, b, c, d, e, f, g, h] = &mut v;
    // SAFETY: mimalloc writes one integer through each valid pointer.
    unsafe { mi_process_info(a, b, c, d, e, f, g, h) };
    // SAFETY: a plain glibc call returning a struct by value.
    let glibc = unsafe { mallinfo2() };
    (v[5] as u64, (glibc.arena + glibc.hblkhd) as u64)
}

#[cfg(not(target_os = "linux"))]
fn allocator_footprint() -> (u64, u64) {
    (0, 0)
}

/// Asks mimalloc, on several of the runtime's threads, to return the memory
/// freed there (it otherwise does so lazily, on later allocations), so that
/// readings compare the memory held rather than the allocator's timing.
async fn release_free_memory() {
    unsafe extern "C" {
        fn mi_collect(force: bool);
    }
    for _ in 0..8 {
        // SAFETY: a plain mimalloc call.
        let _ = tokio::spawn(async { unsafe { mi_collect(true) } }).await;
        let _ = tokio::task::spawn_blocking(|| unsafe { mi_collect(true) }).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // SAFETY: as above.
    unsafe { mi_collect(true) };
}

/// The server's heap: live bytes as requested of the global allocator,
/// mimalloc's committed bytes, glibc malloc's (arenas and mapped chunks).
#[derive(Clone, Copy, Default)]
pub struct Heap {
    pub live: u64,
    pub mimalloc: u64,
    pub glibc: u64,
}

/// The parent's end of the child's stdin and stdout.
pub struct Control {
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Control {
    /// The server's heap.
    pub async fn heap(&mut self) -> anyhow::Result<Heap> {
        self.stdin.write_all(b"stats\n").await?;
        self.stdin.flush().await?;
        loop {
            let line = self
                .stdout
                .next_line()
                .await?
                .ok_or_else(|| anyhow::anyhow!("server exited"))?;
            if let Some(n) = line.strip_prefix("HEAP ") {
                let mut fields = n.split_whitespace().map(str::parse::<u64>);
                let mut next = || fields.next().unwrap_or(Ok(0));
                return Ok(Heap {
                    live: next()?,
                    mimalloc: next()?,
                    glibc: next()?,
                });
            }
        }
    }
}

/// The server child process, listening.
pub struct Server {
    pub child: tokio::process::Child,
    pub pid: u32,
    pub control: Control,
    pub addr: SocketAddr,
}

/// Starts this binary with `--serve-child` (under `wrapper` if given) with
/// the server's environment `vars`, and waits until it listens.
pub async fn spawn(
    wrapper: Option<&str>,
    n: usize,
    scale_to: usize,
    vars: &HashMap<String, String>,
) -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let mut command = match wrapper {
        Some(wrapper) => {
            let mut words = wrapper.split_whitespace();
            let mut c = tokio::process::Command::new(words.next().unwrap_or("env"));
            c.args(words).arg(&exe);
            c
        }
        None => tokio::process::Command::new(&exe),
    };
    let mut child = command
        .arg("--serve-child")
        .arg("--subscribers")
        .arg(n.to_string())
        .arg("--scale-to")
        .arg(scale_to.to_string())
        .envs(vars)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no child pid"))?;
    let mut control = Control {
        stdin: child.stdin.take().expect("stdin"),
        stdout: BufReader::new(child.stdout.take().expect("stdout")).lines(),
    };
    let addr: SocketAddr = loop {
        let line = control
            .stdout
            .next_line()
            .await?
            .ok_or_else(|| anyhow::anyhow!("server exited"))?;
        if let Some(a) = line.strip_prefix("READY ") {
            break a.trim().parse()?;
        }
    };
    Ok(Server {
        child,
        pid,
        control,
        addr,
    })
}

/// The RSS once two readings a second apart differ by under 0.5% (at most
/// 30 s).
pub async fn settled_rss(pid: u32) -> u64 {
    let mut last = rss_kib(pid);
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = rss_kib(pid);
        if now.abs_diff(last) * 200 < last {
            return now;
        }
        last = now;
    }
    last
}

pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
