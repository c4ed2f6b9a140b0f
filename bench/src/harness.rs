//! What the HTTP benchmarks share: the server configuration they run the
//! application with (percentiles are in `stats.rs`).

/// The application's configuration for a benchmark run: the given database
/// and data directory, quiet logs, and rate limits no single client reaches
/// (measure the queries, not the rate limiter's refusals).
pub fn config(database_url: &str, data_dir: &str) -> anyhow::Result<vitrine::config::Config> {
    config_with(database_url, data_dir, &[])
}

/// [`config`] with more variables; `extra` wins over the defaults above.
pub fn config_with(
    database_url: &str,
    data_dir: &str,
    extra: &[(&str, &str)],
) -> anyhow::Result<vitrine::config::Config> {
    let vars = [
        ("DATABASE_URL", database_url),
        ("VITRINE_DATA_DIR", data_dir),
        ("VITRINE_LOG", "warn"),
        (
            "VITRINE_JWT_SECRET",
            "bench-secret-bench-secret-bench-secret-0000",
        ),
        ("VITRINE_RATE_LIMIT_USER", "1000000000/60s"),
        ("VITRINE_RATE_LIMIT_IP", "1000000000/60s"),
    ];
    Ok(vitrine::config::Config::from_lookup(|k| {
        extra
            .iter()
            .chain(vars.iter())
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    })?)
}

/// The application on `database_url`, filled with the demo shop.
pub async fn demo_app(
    database_url: &str,
    data_dir: &str,
) -> anyhow::Result<(vitrine::App, vitrine::demo::Summary)> {
    let app = vitrine::build(config(database_url, data_dir)?).await?;
    eprintln!("seeding the demo shop…");
    let summary = vitrine::demo::seed(&app.state, 42, 50, 40).await?;
    Ok((app, summary))
}

/// `app` served on a random loopback port until [`Served::stop`].
pub struct Served {
    pub endpoint: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub async fn serve(app: vitrine::App) -> anyhow::Result<Served> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    Ok(Served {
        endpoint: format!("http://{addr}/graphql"),
        stop,
        server,
    })
}

impl Served {
    /// Stops the server and waits for it to drain.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await?
    }
}
