//! The `vitrine` binary: parse the command line and configuration, then hand
//! over to the library.
use clap::{Parser, Subcommand};
use vitrine::{config::Config, domain::accounts::AdminBootstrap};

/// mimalloc instead of the system allocator: with many threads and many
/// small, long-lived allocations (one set per open WebSocket), glibc's
/// per-thread arenas fragment and the resident set grows with them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "vitrine",
    version,
    about = "GraphQL API for the shorts shop and the interior community"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP and WebSocket (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Account administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print the GraphQL SDL.
    Schema,
    /// Print the configuration variables as a markdown table.
    Config,
    /// The frontend contract (persisted operations).
    Contract {
        #[command(subcommand)]
        command: ContractCommand,
    },
    /// The recommender: train, evaluate, pick the served version.
    Ml {
        #[command(subcommand)]
        command: MlCommand,
    },
    /// Search index maintenance (SEARCH-4).
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// The help assistant (COMM-9): ingest the documents, evaluate retrieval.
    Assistant {
        #[command(subcommand)]
        command: AssistantCommand,
    },
    /// Fill the database with a demo shop (stores, products, shorts, buyers, orders, reviews).
    SeedDemo {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 50)]
        products_per_store: usize,
        #[arg(long, default_value_t = 40)]
        buyers: usize,
        /// Seed only a database whose catalogue is empty (what `make run`
        /// does: a fresh clone serves the demo, a real shop is left alone).
        #[arg(long)]
        if_empty: bool,
    },
}

#[derive(Subcommand)]
enum ContractCommand {
    /// Write frontend-contract/manifest.json from frontend-contract/operations/.
    Build {
        #[arg(long, default_value = "frontend-contract")]
        dir: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum MlCommand {
    /// Train on the platform's activity; the new version becomes current.
    Train {
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long)]
        seed: Option<u64>,
        /// libtorch threads (small batches: 1 is fastest).
        #[arg(long, default_value_t = 1)]
        threads: i32,
    },
    /// Evaluate popularity, BPR and ours on a dataset file (`reports/`).
    Eval(vitrine::ml::commands::EvalArgs),
    /// List stored versions (* = current).
    Versions,
    /// Make a stored version current (roll back or forward).
    Use { version: String },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild the search index from the database, with a progress bar.
    /// A fresh index is built beside the live one and swapped in; with a
    /// server running, the rebuild is queued for it and followed here.
    Reindex {
        /// Drop every document first (searches are empty until rebuilt).
        #[arg(long)]
        drop: bool,
    },
}

#[derive(Subcommand)]
enum AssistantCommand {
    /// Split the help documents into chunks, embed and store them (a
    /// running server picks them up within seconds).
    Ingest {
        /// Ingest even when the documents are unchanged.
        #[arg(long)]
        force: bool,
    },
    /// Recall@5 and MRR of keyword, vector and hybrid retrieval on the
    /// shipped questions, and the answer cache's hit rate; written as Markdown.
    Eval {
        #[arg(long, default_value = "reports/assistant-eval.md")]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an ADMIN account, or promote the existing account with this email.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, env = vitrine::config::vars::ADMIN_PASSWORD.name, hide_env_values = true)]
        password: String,
    },
}

fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Schema => {
            print!("{}", vitrine::resolvers::sdl());
            std::process::ExitCode::SUCCESS
        }
        Command::Contract {
            command: ContractCommand::Build { dir },
        } => match vitrine::protection::contract::build(&dir) {
            Ok(manifest) => {
                let path = dir.join("manifest.json");
                if let Err(e) = std::fs::write(&path, manifest.to_json()) {
                    eprintln!("error: writing {}: {e}", path.display());
                    return std::process::ExitCode::FAILURE;
                }
                println!(
                    "{}: {} operations (rebuild the server to embed it)",
                    path.display(),
                    manifest.operations.len()
                );
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        },
        Command::Config => {
            print!("{}", vitrine::config::vars::markdown_table());
            std::process::ExitCode::SUCCESS
        }
        command => {
            let config = match Config::from_env() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("vitrine: {e}");
                    return std::process::ExitCode::from(2);
                }
            };
            vitrine::telemetry::init_logging(&config);
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("vitrine: cannot start the async runtime: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            match runtime.block_on(run(command, config)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    eprintln!("vitrine: {e:#}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let bind = config.bind;
            tracing::info!(
                env = ?config.env,
                database = %config.database_url_redacted(),
                redis = config.redis_url_redacted().as_deref().unwrap_or("in-process"),
                "starting"
            );
            let app = vitrine::build(config).await?;
            if vitrine::domain::commerce::catalog::is_empty(&app.state.db)
                .await
                .unwrap_or(false)
            {
                tracing::info!(
                    "the catalogue is empty: `make demo` (or `vitrine seed-demo`) fills it with a demo shop"
                );
            }
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| anyhow::anyhow!("VITRINE_BIND: cannot listen on {bind}: {e}"))?;
            tracing::info!("listening on http://{bind}/ (the web client; the API at /graphql)");
            app.serve(listener, vitrine::server::shutdown_signal())
                .await
        }
        Command::Migrate => {
            let metrics = vitrine::telemetry::Metrics::new();
            let db = vitrine::db::connect(&config, &metrics).await?;
            let applied = vitrine::db::migrate(&db).await?;
            println!("migrations applied: {applied}");
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Create { email, password },
        } => {
            let metrics = vitrine::telemetry::Metrics::new();
            let db = vitrine::db::connect(&config, &metrics).await?;
            vitrine::db::migrate(&db).await?;
            match vitrine::domain::accounts::create_or_promote_admin(&db, &email, &password).await {
                Ok(AdminBootstrap::Created(id)) => println!("created admin {email} (user {id})"),
                Ok(AdminBootstrap::Promoted(id)) => {
                    println!("promoted {email} (user {id}) to ADMIN")
                }
                Ok(AdminBootstrap::AlreadyAdmin(id)) => {
                    println!("{email} (user {id}) is already an ADMIN")
                }
                Err(e) => anyhow::bail!("{}", e.message()),
            }
            Ok(())
        }
        Command::Search {
            command: SearchCommand::Reindex { drop },
        } => reindex(config, drop).await,
        Command::Assistant { command } => match command {
            AssistantCommand::Ingest { force } => {
                vitrine::domain::assistant::commands::ingest(&config, force).await
            }
            AssistantCommand::Eval { out } => {
                vitrine::domain::assistant::commands::evaluate(&config, &out).await
            }
        },
        Command::SeedDemo {
            seed,
            products_per_store,
            buyers,
            if_empty,
        } => {
            let app = vitrine::build(config).await?;
            if vitrine::demo::is_seeded(&app.state.db).await? {
                println!("the demo shop is already in this database; nothing to do");
                return Ok(());
            }
            if if_empty
                && !vitrine::domain::commerce::catalog::is_empty(&app.state.db)
                    .await
                    .map_err(vitrine::error::AppError::into_anyhow)?
            {
                println!("this database has a catalogue of its own; not adding the demo");
                return Ok(());
            }
            let summary = vitrine::demo::seed(&app.state, seed, products_per_store, buyers).await?;
            println!(
                "demo ready: {} stores, {} products, {} shorts, {} buyers, {} orders, {} reviews, {} custom carts, \
                 {} coupons; {} creators, {} designs, {} posts, {} comments, {} likes, {} follows, \
                 {} messages, {} reports",
                summary.stores,
                summary.products,
                summary.shorts,
                summary.buyers,
                summary.orders,
                summary.reviews,
                summary.custom_carts,
                summary.coupons,
                summary.creators,
                summary.designs,
                summary.posts,
                summary.comments,
                summary.likes,
                summary.follows,
                summary.messages,
                summary.reports
            );
            println!(
                "sign in as {} / {} (admin), seller1@demo.vitrine.dev or buyer01@demo.vitrine.dev / {}",
                vitrine::demo::ADMIN_EMAIL,
                vitrine::demo::ADMIN_PASSWORD,
                vitrine::demo::USER_PASSWORD
            );
            Ok(())
        }
        Command::Ml { command } => match command {
            MlCommand::Train {
                epochs,
                seed,
                threads,
            } => vitrine::ml::commands::train(&config, epochs, seed, threads).await,
            MlCommand::Eval(args) => {
                tokio::task::spawn_blocking(move || vitrine::ml::commands::evaluate(&args)).await?
            }
            MlCommand::Versions => {
                vitrine::ml::commands::versions(&config);
                Ok(())
            }
            MlCommand::Use { version } => vitrine::ml::commands::use_version(&config, &version),
        },
        Command::Schema | Command::Config | Command::Contract { .. } => Ok(()),
    }
}

/// `vitrine search reindex`: every indexable row, rewritten with a progress
/// bar. When a running server holds the tantivy index, the rebuild is
/// queued as a job for it (it swaps a fresh index in while serving) and
/// followed here until it ends.
async fn reindex(config: Config, drop: bool) -> anyhow::Result<()> {
    use vitrine::domain::{search, search_index};
    let metrics = vitrine::telemetry::Metrics::new();
    let db = vitrine::db::connect(&config, &metrics).await?;
    vitrine::db::migrate(&db).await?;
    let backend = vitrine::infra::search::connect(&config).await?;
    if backend.read_only() {
        anyhow::ensure!(
            !drop,
            "--drop needs the index to itself; a running server holds it (without --drop the server rebuilds it while serving)"
        );
        let queue = vitrine::jobs::JobQueue::new(db.clone());
        let id = search_index::start_reindex(&queue, &db, None)
            .await
            .map_err(|e| e.into_anyhow())?;
        println!(
            "a server holds the index: reindex queued as job {} for it",
            vitrine::jobs::public_id(id)
        );
        return follow_job(&queue, id).await;
    }
    if drop {
        backend.drop_all().await?;
    }
    let counts = search::indexable_counts(&db)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let pb = vitrine::demo::bar(counts.iter().map(|(_, n)| n).sum(), "documents");
    let before = search_index::kind_offsets(&counts);
    let started = std::time::Instant::now();
    let indexing = search_index::Indexing::new(db.clone(), backend.clone());
    let written = indexing
        .reindex(&|p| {
            pb.set_message(format!("{}s", p.kind.as_str()));
            pb.set_position(before.get(&p.kind).copied().unwrap_or(0) + p.done);
        })
        .await?;
    pb.finish();
    backend.close().await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} index rebuilt: {written} documents in {secs:.1}s ({:.0} documents/s)",
        backend.name(),
        written as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// Shows a queued job's progress until it ends; fails unless it succeeds.
async fn follow_job(queue: &vitrine::jobs::JobQueue, id: i64) -> anyhow::Result<()> {
    use vitrine::entities::job::JobState;
    let pb = vitrine::demo::bar(1000, "‰");
    loop {
        let job = queue
            .get(id)
            .await
            .map_err(|e| e.into_anyhow())?
            .ok_or_else(|| anyhow::anyhow!("job {id} vanished"))?;
        pb.set_position((job.progress * 1000.0) as u64);
        pb.set_message(
            job.message
                .clone()
                .unwrap_or_else(|| job.state.as_str().to_owned()),
        );
        match job.state {
            JobState::Succeeded => {
                pb.finish();
                println!("{}", job.result.unwrap_or_default());
                return Ok(());
            }
            JobState::Dead | JobState::Cancelled => {
                pb.abandon();
                anyhow::bail!(
                    "job {} {}: {}",
                    vitrine::jobs::public_id(id),
                    job.state.as_str(),
                    job.last_error.unwrap_or_default()
                );
            }
            JobState::Queued | JobState::Running => {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await
            }
        }
    }
}
