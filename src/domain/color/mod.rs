//! Colour intelligence (COMM-3, the seed's "HSL-Based Algorithmic Color
//! Intelligence"): a palette and a mood theme from an image, and colour
//! matching by a weighted HSL distance.
//!
//! - **Sampling.** The image is downscaled to 200×200 and sampled every 4 px
//!   (2,500 samples); samples whose lightness on 0–255 is below 10 or above
//!   245 are noise and dropped.
//! - **Palette.** Samples are binned (4 bits a channel); bins, most common
//!   first, join the first palette colour within [`MERGE_DISTANCE`] or start
//!   a new one; the [`PALETTE_SIZE`] largest colours holding at least
//!   [`MIN_SHARE`] of the samples (smaller ones are the blends along edges)
//!   are the palette, each with its share.
//! - **Theme**, from the share-weighted HSL mean of the palette (hue as a
//!   circular mean), checked in this order: MONOCHROME (S < 20%), PASTEL
//!   (L > 80%), EARTH (60° ≤ H < 120° and S below the middle, 50%), NEUTRAL
//!   (S < 40%), COOL (180° ≤ H < 300°), and WARM for every other hue (reds,
//!   oranges, yellows, magentas and saturated greens), as SPEC COMM-3 and
//!   the seed's table have them.
//! - **Distance** between two colours: `sqrt(0.6·(Δh/180)² + 0.2·(Δs/100)² +
//!   0.2·(Δl/100)²)`, with Δh the shorter way round the hue circle (so 0 ≤
//!   distance ≤ 1).
mod names;
pub mod store;

use image::{DynamicImage, imageops::FilterType};
use serde::{Deserialize, Serialize};

pub use names::parse_color;

/// Side of the square the image is downscaled to.
pub const SAMPLE_SIDE: u32 = 200;
/// Sampling step, in pixels of the downscaled image.
pub const SAMPLE_STEP: u32 = 4;
/// Samples darker than this (lightness on 0–255) are dropped.
pub const MIN_LIGHTNESS: f64 = 10.0;
/// Samples brighter than this (lightness on 0–255) are dropped.
pub const MAX_LIGHTNESS: f64 = 245.0;
/// Most colours in a palette.
pub const PALETTE_SIZE: usize = 6;
/// Colours with a smaller share of the samples are left out.
pub const MIN_SHARE: f64 = 0.03;
/// Bins closer than this to a palette colour join it.
pub const MERGE_DISTANCE: f64 = 0.08;
/// A palette colour within this distance of a searched colour matches it.
pub const MATCH_DISTANCE: f64 = 0.2;

/// Hue in degrees [0, 360), saturation and lightness in percent [0, 100].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hsl {
    pub h: f64,
    pub s: f64,
    pub l: f64,
}

/// HSL of an sRGB colour.
pub fn rgb_to_hsl([r, g, b]: [u8; 3]) -> Hsl {
    let (r, g, b) = (r as f64 / 255.0, g as f64 / 255.0, b as f64 / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let l = (max + min) / 2.0;
    let delta = max - min;
    if delta <= f64::EPSILON {
        return Hsl {
            h: 0.0,
            s: 0.0,
            l: l * 100.0,
        };
    }
    let s = delta / (1.0 - (2.0 * l - 1.0).abs());
    let h = if max == r {
        60.0 * (((g - b) / delta).rem_euclid(6.0))
    } else if max == g {
        60.0 * ((b - r) / delta + 2.0)
    } else {
        60.0 * ((r - g) / delta + 4.0)
    };
    Hsl {
        h: h.rem_euclid(360.0),
        s: (s * 100.0).clamp(0.0, 100.0),
        l: l * 100.0,
    }
}

/// The weighted HSL distance of COMM-3, in [0, 1].
pub fn distance(a: Hsl, b: Hsl) -> f64 {
    let dh = (a.h - b.h).abs().rem_euclid(360.0);
    let dh = dh.min(360.0 - dh);
    let ds = a.s - b.s;
    let dl = a.l - b.l;
    (0.6 * (dh / 180.0).powi(2) + 0.2 * (ds / 100.0).powi(2) + 0.2 * (dl / 100.0).powi(2)).sqrt()
}

/// A design or product mood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Theme {
    Warm,
    Cool,
    Pastel,
    Earth,
    Neutral,
    Monochrome,
}

impl Theme {
    pub const ALL: [Theme; 6] = [
        Theme::Warm,
        Theme::Cool,
        Theme::Pastel,
        Theme::Earth,
        Theme::Neutral,
        Theme::Monochrome,
    ];

    /// As stored (`designs.color_theme`, `products.color_theme`).
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Warm => "WARM",
            Theme::Cool => "COOL",
            Theme::Pastel => "PASTEL",
            Theme::Earth => "EARTH",
            Theme::Neutral => "NEUTRAL",
            Theme::Monochrome => "MONOCHROME",
        }
    }

    pub fn parse(stored: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.as_str() == stored)
    }
}

/// The theme of a mean colour (see the module header for the order).
pub fn classify(mean: Hsl) -> Theme {
    if mean.s < 20.0 {
        Theme::Monochrome
    } else if mean.l > 80.0 {
        Theme::Pastel
    } else if (60.0..120.0).contains(&mean.h) && mean.s < 50.0 {
        Theme::Earth
    } else if mean.s < 40.0 {
        Theme::Neutral
    } else if (180.0..300.0).contains(&mean.h) {
        Theme::Cool
    } else {
        Theme::Warm
    }
}

/// One palette colour and its share of the kept samples.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Swatch {
    pub rgb: [u8; 3],
    pub share: f64,
}

impl Swatch {
    pub fn hex(&self) -> String {
        hex(self.rgb)
    }

    pub fn hsl(&self) -> Hsl {
        rgb_to_hsl(self.rgb)
    }
}

/// `#rrggbb`.
pub fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// What an image's colours say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Largest share first.
    pub palette: Vec<Swatch>,
    /// The share-weighted mean of the palette.
    pub mean: Hsl,
    pub theme: Theme,
}

/// Kept samples of an image (see the module header).
fn samples(image: &DynamicImage) -> Vec<[u8; 3]> {
    let small = image
        .resize_exact(SAMPLE_SIDE, SAMPLE_SIDE, FilterType::Triangle)
        .to_rgb8();
    let mut kept = Vec::with_capacity(((SAMPLE_SIDE / SAMPLE_STEP) as usize).pow(2));
    for y in (0..SAMPLE_SIDE).step_by(SAMPLE_STEP as usize) {
        for x in (0..SAMPLE_SIDE).step_by(SAMPLE_STEP as usize) {
            let rgb = small.get_pixel(x, y).0;
            let lightness = rgb_to_hsl(rgb).l * 2.55;
            if (MIN_LIGHTNESS..=MAX_LIGHTNESS).contains(&lightness) {
                kept.push(rgb);
            }
        }
    }
    kept
}

/// A colour being gathered from bins: sums of its members.
#[derive(Default)]
struct Cluster {
    sum: [u64; 3],
    count: u64,
}

impl Cluster {
    fn rgb(&self) -> [u8; 3] {
        let n = self.count.max(1);
        [
            (self.sum[0] / n) as u8,
            (self.sum[1] / n) as u8,
            (self.sum[2] / n) as u8,
        ]
    }
}

/// The palette of `samples`: largest share first.
fn palette(samples: &[[u8; 3]]) -> Vec<Swatch> {
    let mut bins: std::collections::HashMap<[u8; 3], Cluster> = Default::default();
    for rgb in samples {
        let bin = bins.entry(rgb.map(|c| c >> 4)).or_default();
        for (sum, c) in bin.sum.iter_mut().zip(rgb) {
            *sum += u64::from(*c);
        }
        bin.count += 1;
    }
    let mut ordered: Vec<([u8; 3], Cluster)> = bins.into_iter().collect();
    // Most common first; ties by bin, so the palette is deterministic.
    ordered.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
    let mut clusters: Vec<Cluster> = Vec::new();
    for (_, colour) in ordered {
        let (sum, count) = (colour.sum, colour.count);
        let hsl = rgb_to_hsl(colour.rgb());
        match clusters
            .iter_mut()
            .find(|c| distance(rgb_to_hsl(c.rgb()), hsl) < MERGE_DISTANCE)
        {
            Some(cluster) => {
                for (a, b) in cluster.sum.iter_mut().zip(sum) {
                    *a += b;
                }
                cluster.count += count;
            }
            None => clusters.push(colour),
        }
    }
    clusters.sort_by_key(|c| std::cmp::Reverse(c.count));
    let all = samples.len() as f64;
    clusters.retain(|c| c.count as f64 >= MIN_SHARE * all);
    clusters.truncate(PALETTE_SIZE);
    let total: u64 = clusters.iter().map(|c| c.count).sum();
    clusters
        .iter()
        .map(|c| Swatch {
            rgb: c.rgb(),
            share: c.count as f64 / total.max(1) as f64,
        })
        .collect()
}

/// The share-weighted mean of a palette, hue as a circular mean.
pub fn mean(palette: &[Swatch]) -> Hsl {
    let (mut x, mut y, mut s, mut l, mut w) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for swatch in palette {
        let hsl = swatch.hsl();
        let angle = hsl.h.to_radians();
        x += swatch.share * angle.cos();
        y += swatch.share * angle.sin();
        s += swatch.share * hsl.s;
        l += swatch.share * hsl.l;
        w += swatch.share;
    }
    if w <= 0.0 {
        return Hsl {
            h: 0.0,
            s: 0.0,
            l: 0.0,
        };
    }
    Hsl {
        h: y.atan2(x).to_degrees().rem_euclid(360.0),
        s: s / w,
        l: l / w,
    }
}

/// Palette and theme of an image; `None` when every sample was noise (an
/// image all but black or white).
pub fn analyze(image: &DynamicImage) -> Option<Analysis> {
    let kept = samples(image);
    let palette = palette(&kept);
    if palette.is_empty() {
        return None;
    }
    let mean = mean(&palette);
    Some(Analysis {
        theme: classify(mean),
        palette,
        mean,
    })
}

/// How well a palette matches a colour: the distance of its nearest colour
/// (0 is the same colour), or `None` beyond [`MATCH_DISTANCE`].
pub fn match_distance(palette: &[Swatch], wanted: [u8; 3]) -> Option<f64> {
    let wanted = rgb_to_hsl(wanted);
    palette
        .iter()
        .map(|s| distance(s.hsl(), wanted))
        .min_by(f64::total_cmp)
        .filter(|d| *d <= MATCH_DISTANCE)
}

#[cfg(test)]
mod tests;
