//! The evaluation report: markdown (the README carries a copy of its
//! table), the Recall@K chart and the JSON of everything.
use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use super::run::{OURS, Report};

/// Ours ÷ the best baseline must reach this on Recall@10 and NDCG@10.
pub const TARGET_RATIO: f64 = 1.10;

impl Report {
    /// The markdown report.
    pub fn markdown(&self, chart: Option<&str>) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Recommender evaluation: `{}`\n", self.dataset);
        let _ = writeln!(
            out,
            "{} users, {} items, {} interactions; per-user temporal split holding out the last {:.0}% of each user's history; {} test users with unseen held-out items. Seed {}, {} libtorch threads on {}. Data sha256 `{}`.\n",
            self.users,
            self.items,
            self.interactions,
            self.holdout * 100.0,
            self.test_users,
            self.seed,
            self.threads,
            self.device,
            &self.data_hash[..16.min(self.data_hash.len())]
        );
        let _ = writeln!(
            out,
            "| model | Recall@10 (95% CI) | Recall@20 | NDCG@10 | Coverage@10 | chosen on validation | fit s |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---|---:|");
        for m in &self.models {
            let _ = writeln!(
                out,
                "| {} | {:.4} ({:.4}–{:.4}) | {:.4} | {:.4} | {:.3} | {} | {:.1} |",
                m.name,
                m.metrics.recall_at(10),
                m.recall_10_ci.0,
                m.recall_10_ci.1,
                m.metrics.recall_at(20),
                m.metrics.ndcg_10,
                m.metrics.coverage_10,
                m.params,
                m.train_secs
            );
        }
        let ours = self.models.iter().find(|m| m.name == OURS);
        let baseline = self.ratio_ci.as_ref().and_then(|r| {
            self.models
                .iter()
                .find(|m| m.name == r.baseline)
                .map(|m| (r, m))
        });
        if let (Some(ours), Some((ci, base))) = (ours, baseline) {
            let recall = ours.metrics.recall_at(10) / base.metrics.recall_at(10).max(1e-12);
            let ndcg = ours.metrics.ndcg_10 / base.metrics.ndcg_10.max(1e-12);
            let met = |ratio: f64| {
                if ratio >= TARGET_RATIO {
                    "met"
                } else {
                    "NOT met"
                }
            };
            let _ = writeln!(
                out,
                "\nOurs against the strongest baseline ({}), target ≥ {TARGET_RATIO:.2}× on both with at least its coverage: Recall@10 **{recall:.3}×** (95% CI {:.3}–{:.3}; {}), NDCG@10 **{ndcg:.3}×** (95% CI {:.3}–{:.3}; {}), Coverage@10 {:.3} against {:.3} ({}).",
                base.name,
                ci.recall_10.0,
                ci.recall_10.1,
                met(recall),
                ci.ndcg_10.0,
                ci.ndcg_10.1,
                met(ndcg),
                ours.metrics.coverage_10,
                base.metrics.coverage_10,
                if ours.metrics.coverage_10 >= base.metrics.coverage_10 {
                    "met"
                } else {
                    "NOT met"
                },
            );
            let _ = writeln!(
                out,
                "Intervals: percentile bootstrap over test users; the ratios' intervals resample the same users for both models."
            );
        }
        if !self.cold.is_empty() {
            let _ = writeln!(
                out,
                "\n## Cold items\n\n{} held-out items had no training interactions (new products); {} test users bought at least one. Each model ranks only those items.\n",
                self.cold_items, self.cold_users
            );
            let _ = writeln!(out, "| model | Recall@10 | NDCG@10 |");
            let _ = writeln!(out, "|---|---:|---:|");
            for c in &self.cold {
                let _ = writeln!(
                    out,
                    "| {} | {:.4} | {:.4} |",
                    c.name,
                    c.metrics.recall_at(10),
                    c.metrics.ndcg_10
                );
            }
        }
        let _ = writeln!(out, "\n## Grids searched (validation Recall@10)\n");
        for m in self.models.iter().filter(|m| !m.grid.is_empty()) {
            let best = m.grid.iter().map(|g| g.1).fold(f64::MIN, f64::max);
            let _ = writeln!(out, "- {} ({} points):", m.name, m.grid.len());
            for (label, r) in &m.grid {
                let mark = if *r == best { " ←" } else { "" };
                let _ = writeln!(out, "  - {label}: {r:.4}{mark}");
            }
        }
        if let Some(chart) = chart {
            let _ = writeln!(out, "\n![Recall@K, K = 1…50]({chart})");
        }
        out
    }

    /// Writes `<dir>/ml-eval-<dataset>.{md,png,json}`; returns the markdown path.
    pub fn write(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let stem = format!("ml-eval-{}", self.dataset);
        let png = dir.join(format!("{stem}.png"));
        let chart = match crate::chart::recall_chart(self, &png) {
            Ok(()) => Some(format!("{stem}.png")),
            Err(e) => {
                tracing::warn!(error = %e, "could not draw the recall chart");
                None
            }
        };
        let md = dir.join(format!("{stem}.md"));
        std::fs::write(&md, self.markdown(chart.as_deref()))?;
        std::fs::write(
            dir.join(format!("{stem}.json")),
            serde_json::to_string_pretty(self)?,
        )?;
        Ok(md)
    }
}
