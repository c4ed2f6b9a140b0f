//! The offline provider: no network, deterministic, and still something
//! real from the image itself.
//!
//! - **Stage 1** describes the room's architecture from the pixels:
//!   proportions, how bright and how contrasted it is, where the light comes
//!   from (the brighter side and half), and the dominant surface colours
//!   (COMM-3's palette). Furniture is not looked for.
//! - **Stage 2** re-grades the photo for the chosen style: each pixel's
//!   luminance is mapped onto the style's palette (a gradient map from its
//!   darkest to its lightest colour), blended with the original so the room
//!   stays recognisable, then saturation and warmth are adjusted per style.
//!   The same image, style and description give the same bytes.
use image::{DynamicImage, GenericImageView, Rgb, RgbImage, imageops::FilterType};

use crate::domain::color::{self, hex};

/// Longest side of a generated image.
pub const MAX_SIDE: u32 = 1024;

/// A style's look: palette from dark to light, how much of it replaces the
/// photo's own colours, saturation factor and warmth (+ red, − blue).
struct Look {
    palette: &'static [[u8; 3]],
    blend: f32,
    saturation: f32,
    warmth: f32,
}

fn look(style: &str) -> Look {
    let (palette, blend, saturation, warmth): (&'static [[u8; 3]], f32, f32, f32) = match style {
        "MINIMALIST" => (
            &[[58, 58, 60], [196, 196, 192], [246, 245, 241]],
            0.55,
            0.55,
            0.0,
        ),
        "SCANDINAVIAN" => (
            &[[74, 63, 52], [200, 184, 160], [244, 241, 234]],
            0.5,
            0.7,
            4.0,
        ),
        "INDUSTRIAL" => (
            &[[35, 35, 38], [110, 98, 88], [168, 160, 150]],
            0.55,
            0.6,
            -4.0,
        ),
        "CLASSIC" => (
            &[[60, 32, 28], [150, 112, 72], [236, 220, 190]],
            0.5,
            0.9,
            8.0,
        ),
        "NATURAL" => (
            &[[62, 54, 36], [140, 150, 102], [230, 222, 196]],
            0.5,
            0.85,
            6.0,
        ),
        "BOHEMIAN" => (
            &[[92, 36, 40], [196, 108, 72], [240, 208, 150]],
            0.5,
            1.25,
            12.0,
        ),
        "VINTAGE" => (
            &[[70, 48, 40], [170, 132, 96], [232, 212, 176]],
            0.55,
            0.75,
            10.0,
        ),
        "JAPANDI" => (
            &[[54, 48, 42], [168, 150, 128], [236, 230, 218]],
            0.5,
            0.6,
            3.0,
        ),
        "COASTAL" => (
            &[[32, 62, 92], [120, 170, 190], [240, 244, 240]],
            0.5,
            1.0,
            -8.0,
        ),
        // MODERN, and any style added later.
        _ => (
            &[[30, 34, 40], [140, 142, 146], [240, 240, 238]],
            0.45,
            0.9,
            0.0,
        ),
    };
    Look {
        palette,
        blend,
        saturation,
        warmth,
    }
}

fn luma([r, g, b]: [u8; 3]) -> f32 {
    (0.2126 * r as f32 + 0.7152 * g as f32 + 0.0722 * b as f32) / 255.0
}

/// The palette colour at `t` in [0, 1], dark to light.
fn gradient(palette: &[[u8; 3]], t: f32) -> [f32; 3] {
    let last = palette.len().saturating_sub(1).max(1);
    let x = t.clamp(0.0, 1.0) * last as f32;
    let i = (x.floor() as usize).min(last - 1);
    let f = x - i as f32;
    let (a, b) = (palette[i], palette[(i + 1).min(palette.len() - 1)]);
    [0, 1, 2].map(|c| a[c] as f32 * (1.0 - f) + b[c] as f32 * f)
}

/// Stage 2: the image re-graded for `style`.
pub fn generate(image: &DynamicImage, style: &str) -> RgbImage {
    let (w, h) = image.dimensions();
    let scaled = if w.max(h) > MAX_SIDE {
        image.resize(MAX_SIDE, MAX_SIDE, FilterType::Triangle)
    } else {
        image.clone()
    };
    let look = look(style);
    let mut out = scaled.to_rgb8();
    for pixel in out.pixels_mut() {
        let rgb = pixel.0;
        let target = gradient(look.palette, luma(rgb));
        let mixed = [0, 1, 2].map(|c| rgb[c] as f32 * (1.0 - look.blend) + target[c] * look.blend);
        let grey = (mixed[0] + mixed[1] + mixed[2]) / 3.0;
        let graded = [0, 1, 2].map(|c| grey + (mixed[c] - grey) * look.saturation);
        *pixel = Rgb([
            (graded[0] + look.warmth).round().clamp(0.0, 255.0) as u8,
            graded[1].round().clamp(0.0, 255.0) as u8,
            (graded[2] - look.warmth).round().clamp(0.0, 255.0) as u8,
        ]);
    }
    out
}

/// The last tier, when even the offline stage 2 cannot run (the source
/// cannot be decoded): the style's palette as a soft diagonal gradient, so
/// a request never ends without an image.
pub fn placeholder(style: &str) -> RgbImage {
    let look = look(style);
    let (w, h) = (768u32, 512u32);
    RgbImage::from_fn(w, h, |x, y| {
        let t = (x as f32 / w as f32) * 0.6 + (1.0 - y as f32 / h as f32) * 0.4;
        let c = gradient(look.palette, t);
        Rgb(c.map(|v| v.round().clamp(0.0, 255.0) as u8))
    })
}

/// Stage 1: the room's architecture as the pixels tell it.
pub fn describe(image: &DynamicImage) -> String {
    let (w, h) = image.dimensions();
    let small = image.resize_exact(120, 120, FilterType::Triangle).to_rgb8();
    let lumas: Vec<f32> = small.pixels().map(|p| luma(p.0)).collect();
    let mean = lumas.iter().sum::<f32>() / lumas.len() as f32;
    let spread =
        (lumas.iter().map(|l| (l - mean).powi(2)).sum::<f32>() / lumas.len() as f32).sqrt();
    let region = |x0: u32, x1: u32, y0: u32, y1: u32| {
        let mut sum = 0.0;
        let mut n = 0.0;
        for y in y0..y1 {
            for x in x0..x1 {
                sum += luma(small.get_pixel(x, y).0);
                n += 1.0;
            }
        }
        sum / n
    };
    let (left, right) = (region(0, 40, 0, 120), region(80, 120, 0, 120));
    let (top, bottom) = (region(0, 120, 0, 40), region(0, 120, 80, 120));
    let ratio = w as f32 / h.max(1) as f32;
    let shape = if ratio > 1.2 {
        "a wide view"
    } else if ratio < 0.85 {
        "a tall view"
    } else {
        "a square view"
    };
    let light = if mean > 0.62 {
        "bright"
    } else if mean > 0.38 {
        "moderately lit"
    } else {
        "dim"
    };
    let contrast = if spread > 0.25 {
        "strong contrast"
    } else if spread > 0.12 {
        "soft contrast"
    } else {
        "flat, even light"
    };
    let horizontal = if left - right > 0.06 {
        Some("the left")
    } else if right - left > 0.06 {
        Some("the right")
    } else {
        None
    };
    let vertical = if top - bottom > 0.06 {
        Some("above")
    } else if bottom - top > 0.06 {
        Some("below")
    } else {
        None
    };
    let direction = match (horizontal, vertical) {
        (Some(side), Some(v)) => {
            format!("light falls from {side} and {v}, likely a window on that side")
        }
        (Some(side), None) => format!("light falls from {side}, likely a window on that side"),
        (None, Some("above")) => "light falls from above (ceiling light or skylight)".to_owned(),
        (None, Some(_)) => "the floor is the brightest surface".to_owned(),
        (None, None) => "light is spread evenly".to_owned(),
    };
    let surfaces = match color::analyze(image) {
        Some(a) => a
            .palette
            .iter()
            .take(3)
            .map(|s| format!("{} ({:.0}%)", hex(s.rgb), s.share * 100.0))
            .collect::<Vec<_>>()
            .join(", "),
        None => "very dark or very light throughout".to_owned(),
    };
    format!(
        "Architecture (furniture ignored): {shape}, {w}×{h} ({ratio:.2}:1); {light} \
         (mean luminance {:.0}%), {contrast}; {direction}. Walls, floor and ceiling \
         colours: {surfaces}.",
        mean * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> DynamicImage {
        // A window on the left: bright left third, darker right.
        DynamicImage::ImageRgb8(RgbImage::from_fn(400, 300, |x, y| {
            let base = if x < 130 { 235 } else { 120 };
            let floor = if y > 220 { 30 } else { 0 };
            Rgb([
                base - floor,
                (base as f32 * 0.92) as u8 - floor,
                (base as f32 * 0.8) as u8 - floor,
            ])
        }))
    }

    #[test]
    fn stage_one_reads_the_room() {
        let text = describe(&room());
        assert!(text.contains("a wide view, 400×300"), "{text}");
        assert!(text.contains("light falls from the left"), "{text}");
        assert!(text.contains('#'), "{text}");
        assert!(
            text.starts_with("Architecture (furniture ignored)"),
            "{text}"
        );
    }

    #[test]
    fn stage_two_is_deterministic_and_follows_the_style() {
        let a = generate(&room(), "COASTAL");
        assert_eq!(a, generate(&room(), "COASTAL"));
        assert_eq!(a.dimensions(), (400, 300));
        let b = generate(&room(), "BOHEMIAN");
        assert_ne!(a, b);
        // Coastal cools the room, bohemian warms it.
        let mean = |img: &RgbImage, c: usize| {
            img.pixels().map(|p| p.0[c] as f64).sum::<f64>() / (img.width() * img.height()) as f64
        };
        assert!(mean(&a, 2) > mean(&b, 2));
        assert!(mean(&b, 0) > mean(&a, 0));
        // Large photos come out at most MAX_SIDE on their longest side.
        let big = DynamicImage::ImageRgb8(RgbImage::from_pixel(3000, 1500, Rgb([90, 100, 110])));
        assert_eq!(generate(&big, "MODERN").dimensions(), (1024, 512));
    }
}
