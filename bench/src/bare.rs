//! `bare-graphql`: the floor of the peer benchmark's `{ __typename }`: one
//! async-graphql schema with an empty Query type behind axum, POST
//! `/graphql`, nothing else (no limits, rate limits, metrics or request
//! ids), with vitrine's allocator. `bare-graphql --bind 127.0.0.1:4003`.
use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
use async_graphql_axum::GraphQL;
use axum::{Router, routing::post_service};
use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4003")]
    bind: String,
}

struct Query;

#[Object]
impl Query {
    /// Unused: a Query type needs one field; the benchmark asks `__typename`.
    async fn ok(&self) -> bool {
        true
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
    let app = Router::new().route("/graphql", post_service(GraphQL::new(schema)));
    let listener = tokio::net::TcpListener::bind(&args.bind).await?;
    eprintln!(
        "bare-graphql listening on http://{}/graphql",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
