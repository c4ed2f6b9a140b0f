//! Shared by the benchmark binaries (each includes it with `mod stats`).

/// The `fraction` (0–1) percentile of ascending `sorted`, nearest rank.
pub fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
