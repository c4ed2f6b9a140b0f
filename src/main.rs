//! The `vitrine` binary: parse the command line and configuration, then hand
//! over to the library.
use clap::{Parser, Subcommand};
use vitrine::{config::Config, domain::accounts::AdminBootstrap};

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
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an ADMIN account, or promote the existing account with this email.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, env = "VITRINE_ADMIN_PASSWORD", hide_env_values = true)]
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
        Command::Config => {
            println!("| variable | default | meaning |\n|---|---|---|");
            for (name, default, meaning) in vitrine::config::VARIABLES {
                println!("| `{name}` | {default} | {meaning} |");
            }
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
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| anyhow::anyhow!("VITRINE_BIND: cannot listen on {bind}: {e}"))?;
            tracing::info!("listening on http://{bind}/graphql");
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
        Command::Schema | Command::Config => Ok(()),
    }
}
