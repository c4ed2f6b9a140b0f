//! `bench/results/peers.md` from the samples of `peers-bench`.
use std::fmt::Write;

use crate::{
    APOLLO, BARE, IP_LIMIT, Method, QueryKey, Results, Sample, USER_LIMIT, VITRINE, VITRINE_PG,
    WINDOWS, YOGA, window_label,
};

/// Medians of one server's samples on one query.
#[derive(Clone, Copy, Debug)]
struct Medians {
    rps: f64,
    cpu_us: f64,
    p50_ms: Option<f64>,
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if !n.is_multiple_of(2) {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

fn medians(results: &Results, query: QueryKey, server: &str) -> Option<Medians> {
    let samples: &Vec<Sample> = results.get(&(query, server.to_owned()))?;
    Some(Medians {
        rps: median(samples.iter().map(|s| s.rps).collect())?,
        cpu_us: median(samples.iter().map(|s| s.cpu_us).collect())?,
        p50_ms: median(samples.iter().filter_map(|s| s.p50_ms).collect()),
    })
}

/// `12,345` for throughput and CPU figures.
fn int(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) if v < 1.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.1}"),
        None => "–".into(),
    }
}

fn statements(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.2}"))
}

fn title(query: QueryKey) -> &'static str {
    match query {
        QueryKey::Catalogue => {
            "catalogue page: `products(first: 20, sort: NEWEST)` with store, images, `shorts(first: 3)`"
        }
        QueryKey::Product => {
            "product page: product, store, category, images, `shorts(first: 3)`, `reviews(first: 10)` with authors, related products with images"
        }
        QueryKey::Typename => "`{ __typename }`",
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**not met**" }
}

pub fn render(results: &Results, method: &Method) -> String {
    let args = &method.args;
    let mut out = String::new();
    let m = |q, s: &str| medians(results, q, s);
    let counted = |q, s: &str| method.statements.get(&(q, s.to_owned())).copied();
    let _ = writeln!(out, "# vitrine beside Node.js GraphQL peers\n");
    let _ = writeln!(
        out,
        "`make bench-peers` (`peers-bench`, issue 20), {}. Medians of {} interleaved repetitions; \
         every server pinned to CPU {}, the load generator (wrk, one thread) to CPU {}. \
         Each peer answers every query with the same JSON as vitrine (checked before measuring).\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        args.repetitions,
        args.server_cpu,
        args.load_cpu,
    );

    // The main table.
    let _ = writeln!(
        out,
        "| query (SQLite, demo data) | vitrine req/s | Apollo req/s | yoga req/s | vitrine ÷ faster peer | \
         vitrine CPU µs/req | Apollo CPU µs/req | yoga CPU µs/req | vitrine CPU ÷ leaner peer | \
         p50 at 1 conn, ms: vitrine / Apollo / yoga |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for query in QueryKey::ALL {
        let (Some(v), Some(a), Some(y)) = (m(query, VITRINE), m(query, APOLLO), m(query, YOGA))
        else {
            continue;
        };
        let faster = a.rps.max(y.rps);
        let leaner = a.cpu_us.min(y.cpu_us);
        let mut row_title = title(query).to_owned();
        if query == QueryKey::Typename
            && let Some(b) = m(query, BARE)
        {
            let _ = write!(
                row_title,
                " (bare async-graphql + axum: {} req/s, {:.1} µs/req, p50 {} ms)",
                int(b.rps),
                b.cpu_us,
                ms(b.p50_ms)
            );
        }
        let cpu = |v: f64| if v < 100.0 { format!("{v:.1}") } else { int(v) };
        let _ = writeln!(
            out,
            "| {row_title} | {} | {} | {} | {:.2}× | {} | {} | {} | {:.2}× | {} / {} / {} |",
            int(v.rps),
            int(a.rps),
            int(y.rps),
            v.rps / faster,
            cpu(v.cpu_us),
            cpu(a.cpu_us),
            cpu(y.cpu_us),
            v.cpu_us / leaner,
            ms(v.p50_ms),
            ms(a.p50_ms),
            ms(y.p50_ms),
        );
    }

    // Targets.
    let _ = writeln!(out, "\n## Issue 20's targets in this run\n");
    for query in [QueryKey::Catalogue, QueryKey::Product] {
        let (Some(v), Some(a), Some(y)) = (m(query, VITRINE), m(query, APOLLO), m(query, YOGA))
        else {
            continue;
        };
        let faster = a.rps.max(y.rps);
        let leaner = a.cpu_us.min(y.cpu_us);
        let peer_p50 = match (a.p50_ms, y.p50_ms) {
            (Some(x), Some(z)) => Some(x.min(z)),
            _ => None,
        };
        let p50_met = matches!((v.p50_ms, peer_p50), (Some(x), Some(z)) if x <= z);
        let _ = writeln!(
            out,
            "- {}: throughput {:.2}× the faster peer (target ≥ 2×: {}); CPU per request {:.2}× the leaner peer's \
             (target ≤ 0.5×: {}); p50 at one connection {} ms against the peers' best {} ms (target: no higher: {}).",
            match query {
                QueryKey::Catalogue => "Catalogue page",
                _ => "Product page",
            },
            v.rps / faster,
            verdict(v.rps / faster >= 2.0),
            v.cpu_us / leaner,
            verdict(v.cpu_us / leaner <= 0.5),
            ms(v.p50_ms),
            ms(peer_p50),
            verdict(p50_met),
        );
    }
    if let (Some(v), Some(b)) = (m(QueryKey::Typename, VITRINE), m(QueryKey::Typename, BARE)) {
        let _ = writeln!(
            out,
            "- `{{ __typename }}` with every protection on: CPU per request {:.1} µs, {:.2}× the bare server's {:.1} µs \
             (target ≤ 1.5×: {}).",
            v.cpu_us,
            v.cpu_us / b.cpu_us,
            b.cpu_us,
            verdict(v.cpu_us / b.cpu_us <= 1.5),
        );
    }
    let window_rows: Vec<(String, Option<Medians>)> = WINDOWS
        .iter()
        .map(|(w, _)| ((*w).to_owned(), m(QueryKey::Typename, &window_label(w))))
        .collect();
    let window_cpu: Vec<f64> = window_rows
        .iter()
        .filter_map(|(_, r)| r.map(|r| r.cpu_us))
        .collect();
    if window_cpu.len() == window_rows.len() {
        let min = window_cpu.iter().copied().fold(f64::INFINITY, f64::min);
        let max = window_cpu.iter().copied().fold(0.0, f64::max);
        let _ = writeln!(
            out,
            "- Rate limiting: `{{ __typename }}` CPU per request with a per-IP window of {}: {} µs \
             (spread {:.0}% of the smallest; see the window table).",
            window_rows
                .iter()
                .map(|(w, _)| w.as_str())
                .collect::<Vec<_>>()
                .join(" / "),
            window_cpu
                .iter()
                .map(|c| format!("{c:.1}"))
                .collect::<Vec<_>>()
                .join(" / "),
            (max / min - 1.0) * 100.0,
        );
    }

    // `{ __typename }` in full.
    let _ = writeln!(out, "\n## `{{ __typename }}`: the floor\n");
    let _ = writeln!(
        out,
        "| server | req/s | CPU µs/req | p50 at 1 conn, ms | CPU ÷ bare |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let bare = m(QueryKey::Typename, BARE);
    for (label, name) in [
        (VITRINE, "vitrine (every protection on)"),
        (BARE, "bare async-graphql + axum"),
        (APOLLO, "Apollo Server"),
        (YOGA, "graphql-yoga"),
    ] {
        if let Some(r) = m(QueryKey::Typename, label) {
            let _ = writeln!(
                out,
                "| {name} | {} | {:.1} | {} | {} |",
                int(r.rps),
                r.cpu_us,
                ms(r.p50_ms),
                bare.map_or("–".into(), |b| format!("{:.2}×", r.cpu_us / b.cpu_us)),
            );
        }
    }

    // PostgreSQL.
    if method.postgres {
        let _ = writeln!(out, "\n## The same pages on PostgreSQL\n");
        let _ = writeln!(
            out,
            "vitrine on a PostgreSQL database seeded the same way (`seed-demo`, seed 42). Its CPU is the vitrine \
             process's only: PostgreSQL's own processes are neither pinned nor counted.\n"
        );
        let _ = writeln!(
            out,
            "| query | req/s: SQLite / PostgreSQL | vitrine CPU µs/req: SQLite / PostgreSQL | p50 at 1 conn, ms: SQLite / PostgreSQL | statements/req: SQLite / PostgreSQL |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|");
        for query in [QueryKey::Catalogue, QueryKey::Product] {
            if let (Some(s), Some(p)) = (m(query, VITRINE), m(query, VITRINE_PG)) {
                let _ = writeln!(
                    out,
                    "| {} | {} / {} | {} / {} | {} / {} | {} / {} |",
                    query.name(),
                    int(s.rps),
                    int(p.rps),
                    int(s.cpu_us),
                    int(p.cpu_us),
                    ms(s.p50_ms),
                    ms(p.p50_ms),
                    statements(counted(query, VITRINE)),
                    statements(counted(query, VITRINE_PG)),
                );
            }
        }
    }

    // Rate-limit windows.
    let _ = writeln!(out, "\n## The rate limiter's window\n");
    let _ = writeln!(
        out,
        "`{{ __typename }}` at saturation on three vitrine instances on the same database that differ only in \
         `VITRINE_RATE_LIMIT_IP` (the same limit, 1,000,000,000, never reached), each serving this query only \
         (the same history: warm-up and these runs). A sliding log holds one entry per request of the last \
         window: at these rates, hundreds of thousands at 60 s.\n"
    );
    let _ = writeln!(out, "| per-IP window | req/s | CPU µs/req |");
    let _ = writeln!(out, "|---|---:|---:|");
    for (window, r) in &window_rows {
        if let Some(r) = r {
            let _ = writeln!(out, "| {window} | {} | {:.1} |", int(r.rps), r.cpu_us);
        }
    }

    // Statements.
    let _ = writeln!(out, "\n## SQL statements per request\n");
    let _ = writeln!(
        out,
        "Counted around {} requests sent one after another: vitrine's `db_statements_total` (`/metrics`), the \
         peers' own counters. Equal counts show that both sides still run the same batches; the statements' text \
         is vitrine's, copied in `bench/peers/src/sql.js` (keep it in step when vitrine's SQL changes).\n",
        crate::COUNTED_REQUESTS
    );
    let _ = writeln!(
        out,
        "| query | vitrine | Apollo | yoga | vitrine on PostgreSQL |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for query in QueryKey::ALL {
        let s = |label: &str| statements(counted(query, label));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            query.name(),
            s(VITRINE),
            s(APOLLO),
            s(YOGA),
            if query == QueryKey::Typename {
                "–".into()
            } else {
                s(VITRINE_PG)
            },
        );
    }

    // Every repetition.
    let _ = writeln!(out, "\n## Every repetition\n");
    let _ = writeln!(
        out,
        "| query | server | req/s | CPU µs/req | p50 at 1 conn, ms |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    for ((query, server), samples) in results {
        let join =
            |f: &dyn Fn(&Sample) -> String| samples.iter().map(f).collect::<Vec<_>>().join(" / ");
        let _ = writeln!(
            out,
            "| {} | {server} | {} | {} | {} |",
            query.name(),
            join(&|s| int(s.rps)),
            join(&|s| format!("{:.1}", s.cpu_us)),
            join(&|s| ms(s.p50_ms)),
        );
    }

    // Method.
    let _ = writeln!(out, "\n## Method\n");
    let _ = writeln!(
        out,
        "- Machine: {}. Servers pinned with `taskset -c {}`, wrk and this harness with `taskset -c {}`.",
        method.cpu_model, args.server_cpu, args.load_cpu,
    );
    let _ = writeln!(
        out,
        "- Load: `wrk -t1 -c{} -d{}s` per saturation run, `wrk -t1 -c1 -d{}s` for the p50 (wrk's own latency \
         record), after {} s of warm-up per server and query at {} connections; POST `/graphql` with \
         `Content-Type` and `Accept: application/json`. Queries: `bench/peers/queries/*.graphql`, the same text for every server. \
         A run counts only with no socket error, every answer 2xx, and bytes per answer within a few header bytes of the checked answer's.",
        args.connections, args.seconds, args.latency_seconds, args.warmup_seconds, args.connections,
    );
    let _ = writeln!(
        out,
        "- Repetitions: {}, interleaved (per repetition, per query: vitrine, Apollo, yoga, then the bare server and \
         the rate-limit windows, or vitrine on PostgreSQL); medians above, every value below the table.",
        args.repetitions
    );
    let _ = writeln!(
        out,
        "- CPU per request: utime + stime of the server's whole process (every thread) from `/proc/<pid>/stat` \
         before and after each saturation run ({} ticks/s), divided by the requests wrk completed (the ≤ {} \
         requests in flight when a run ends make this up to {} ÷ requests high, alike for every server). \
         vitrine's idle CPU after start-up settled at {:.1}% of a CPU before measuring.",
        crate::peers_servers::clock_ticks_per_second(),
        args.connections,
        args.connections,
        method.vitrine_idle_share * 100.0,
    );
    let _ = writeln!(
        out,
        "- Data: a fresh SQLite demo database made by `vitrine seed-demo` (seed 42, 50 products per store, 40 buyers; \
         {:.0} s with PostgreSQL's beside it), read by every server. Product page: {} (`{}`), among the 100 most \
         popular the first with the most shorts and reviews.",
        method.seed_secs, method.product_name, method.product_id,
    );
    let _ = writeln!(
        out,
        "- vitrine: `target/release/vitrine serve`, development environment with every protection on (query limits, \
         rate limits, metrics, request ids, CORS); `VITRINE_RATE_LIMIT_IP={IP_LIMIT}`, `VITRINE_RATE_LIMIT_USER={USER_LIMIT}` \
         (the shipped windows, limits no run reaches; the window table changes only the IP window), \
         `VITRINE_ML_TRAIN_ON_START=false`, `VITRINE_ASSISTANT_AUTO_INGEST=false`, `VITRINE_LOG=warn`, the other variables \
         at their defaults (pool of 10 connections)."
    );
    let _ = writeln!(
        out,
        "- Peers (`bench/peers/`): Node.js with `NODE_ENV=production`, one better-sqlite3 connection with a statement \
         cache, a DataLoader per edge (no cache, keys de-duplicated per batch, batches one at a time once the request is idle \
         and feeding loaders first, as vitrine's loaders), the SQL vitrine runs \
         (sea-orm's text for SQLite, the same bound parameters, integers bound as 64-bit integers), and vitrine's \
         output formats (global ids, cursors, DateTime, whole Floats as `4.0`). Apollo Server with its standalone \
         (node:http) server; graphql-yoga on node:http. Answers byte for byte identical to vitrine's: {}. \
         Equal as JSON and of the same length, with some fields in another order: {}. vitrine writes an \
         object's fields in the order their resolvers finish (async-graphql 7.2.1 collects them from a \
         `FuturesUnordered`), e.g. a connection's `pageInfo` before its `edges` when the edges wait for a loader; \
         the peers (graphql-js) follow the query's order, as the GraphQL spec asks.",
        list(&method.byte_identical),
        list(&method.reordered),
    );
    let _ = writeln!(
        out,
        "- Bare server: `bare-graphql` (bench/src/bare.rs), one async-graphql schema with an empty Query type behind axum, \
         POST `/graphql`, mimalloc as vitrine; nothing else."
    );
    let versions = method
        .versions
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(out, "- Versions: {versions}.");
    let _ = writeln!(
        out,
        "- The whole run took {:.0} s. Load average (1 min) when measuring began: {}, when it ended: {} \
         (about 2 while only this benchmark runs: a server and wrk; more means other work shared the CPUs).",
        method.total_secs, method.load.0, method.load.1
    );
    out
}
