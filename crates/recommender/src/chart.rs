//! The Recall@K chart of an evaluation report (PNG, plotters' bitmap
//! backend). Text needs a TrueType font: `VITRINE_CHART_FONT`, else DejaVu
//! Sans or Liberation Sans where the system has them; without one the chart
//! is drawn without text (the markdown beside it names the lines).
use std::{path::Path, sync::OnceLock};

use plotters::prelude::*;

use crate::eval::{MAX_K, Report};

const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// Registers a font for plotters' "sans-serif" once; false when none exists.
fn font() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| {
        let configured = std::env::var("VITRINE_CHART_FONT").ok();
        let candidates = configured
            .iter()
            .map(String::as_str)
            .chain(FONT_PATHS.iter().copied());
        for path in candidates {
            if let Ok(bytes) = std::fs::read(path) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

const COLOURS: [RGBColor; 8] = [
    RGBColor(120, 120, 120),
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
];

pub fn recall_chart(report: &Report, path: &Path) -> anyhow::Result<()> {
    let text = font();
    let root = BitMapBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = report
        .models
        .iter()
        .flat_map(|m| m.metrics.recall.iter().copied())
        .fold(0.0f64, f64::max);
    let y_max = (top * 1.1).max(0.01);
    let mut builder = ChartBuilder::on(&root);
    builder.margin(20);
    if text {
        builder
            .caption(
                format!("Recall@K on {} (K = 1…{MAX_K})", report.dataset),
                ("sans-serif", 24),
            )
            .x_label_area_size(48)
            .y_label_area_size(64);
    }
    let mut chart = builder.build_cartesian_2d(1usize..MAX_K, 0.0..y_max)?;
    if text {
        chart
            .configure_mesh()
            .x_desc("K")
            .y_desc("Recall@K")
            .label_style(("sans-serif", 16))
            .draw()?;
    } else {
        chart.configure_mesh().x_labels(0).y_labels(0).draw()?;
    }
    for (model, colour) in report.models.iter().zip(COLOURS.iter().cycle().copied()) {
        let points = (1..=MAX_K).map(|k| (k, model.metrics.recall_at(k)));
        let series = chart.draw_series(LineSeries::new(points, colour.stroke_width(3)))?;
        if text {
            series.label(model.name.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        }
    }
    if text {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 18))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
