//! `vitrine assistant ingest` and `vitrine assistant eval`.
use std::path::Path;

use super::{Assistant, eval, ingest};
use crate::config::Config;

/// Ingests the help documents into the configured database, with a
/// progress bar. A running server picks the new corpus up within seconds.
pub async fn ingest(config: &Config, force: bool) -> anyhow::Result<()> {
    let metrics = crate::telemetry::Metrics::new();
    let db = crate::db::connect(config, &metrics).await?;
    crate::db::migrate(&db).await?;
    let assistant = Assistant::new(&config.assistant)?;
    let pb = crate::demo::bar(100, "%");
    let progress = |fraction: f64, message: String| {
        pb.set_position((fraction * 100.0) as u64);
        pb.set_message(message);
    };
    let started = std::time::Instant::now();
    let report = ingest::ingest(
        &db,
        &config.assistant.docs_dir,
        assistant.embedder(),
        force,
        &progress,
    )
    .await?;
    pb.finish_and_clear();
    if report.changed {
        println!(
            "ingested {} documents from {}: {} chunks, {} embedded with {} (the rest unchanged), in {:.1}s; corpus {}",
            report.documents,
            config.assistant.docs_dir.display(),
            report.chunks,
            report.embedded,
            assistant.embedder().name(),
            started.elapsed().as_secs_f64(),
            &report.version[..12],
        );
    } else {
        println!(
            "the help corpus is up to date ({} documents, {} chunks, corpus {}); --force ingests it again",
            report.documents,
            report.chunks,
            &report.version[..12]
        );
    }
    Ok(())
}

/// Evaluates retrieval on the shipped questions, prints the table and
/// writes it to `out`.
pub async fn evaluate(config: &Config, out: &Path) -> anyhow::Result<()> {
    let assistant = Assistant::new(&config.assistant)?;
    let dir = &config.assistant.docs_dir;
    let report = eval::evaluate(dir, assistant.embedder()).await?;
    let table = eval::markdown(&report);
    let verdict = eval::verdict(&report);
    let document = format!(
        "# Help assistant retrieval evaluation\n\nWritten by `vitrine assistant eval` from `{}/eval/`.\n\n{table}\n{verdict}\n",
        dir.display()
    );
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(out, &document)?;
    println!("{document}");
    println!("written to {}", out.display());
    Ok(())
}
