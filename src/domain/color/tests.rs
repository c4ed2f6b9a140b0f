use image::{Rgb, RgbImage};
use rand::{Rng, SeedableRng, rngs::StdRng};

use super::*;

fn solid(rgb: [u8; 3]) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_pixel(640, 480, Rgb(rgb)))
}

/// Left `left_share` of the width one colour, the rest another.
fn split(a: [u8; 3], b: [u8; 3], left_share: f64) -> DynamicImage {
    let (w, h) = (800, 600);
    let edge = (w as f64 * left_share) as u32;
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, _| {
        Rgb(if x < edge { a } else { b })
    }))
}

fn theme_of(image: &DynamicImage) -> Theme {
    analyze(image).expect("colours").theme
}

#[test]
fn hsl_conversion_matches_known_values() {
    let close = |a: Hsl, b: Hsl| {
        assert!(
            (a.h - b.h).abs() < 0.5 && (a.s - b.s).abs() < 0.5 && (a.l - b.l).abs() < 0.5,
            "{a:?} vs {b:?}"
        )
    };
    close(
        rgb_to_hsl([255, 0, 0]),
        Hsl {
            h: 0.0,
            s: 100.0,
            l: 50.0,
        },
    );
    close(
        rgb_to_hsl([0, 255, 0]),
        Hsl {
            h: 120.0,
            s: 100.0,
            l: 50.0,
        },
    );
    close(
        rgb_to_hsl([0, 0, 255]),
        Hsl {
            h: 240.0,
            s: 100.0,
            l: 50.0,
        },
    );
    close(
        rgb_to_hsl([255, 0, 255]),
        Hsl {
            h: 300.0,
            s: 100.0,
            l: 50.0,
        },
    );
    close(
        rgb_to_hsl([128, 128, 128]),
        Hsl {
            h: 0.0,
            s: 0.0,
            l: 50.2,
        },
    );
    close(
        rgb_to_hsl([255, 209, 220]),
        Hsl {
            h: 345.3,
            s: 100.0,
            l: 91.0,
        },
    );
}

#[test]
fn images_with_a_known_answer_get_their_theme() {
    // Pastel pink and pastel blue: light.
    assert_eq!(theme_of(&solid([255, 209, 220])), Theme::Pastel);
    assert_eq!(
        theme_of(&split([200, 225, 250], [255, 230, 240], 0.5)),
        Theme::Pastel
    );
    // Greys: no saturation.
    assert_eq!(theme_of(&solid([128, 128, 128])), Theme::Monochrome);
    assert_eq!(
        theme_of(&split([60, 60, 60], [180, 180, 180], 0.5)),
        Theme::Monochrome
    );
    // Saturated blue and purple: cool.
    assert_eq!(theme_of(&solid([30, 80, 200])), Theme::Cool);
    assert_eq!(theme_of(&solid([120, 40, 180])), Theme::Cool);
    // Reds, oranges: warm.
    assert_eq!(theme_of(&solid([200, 60, 30])), Theme::Warm);
    assert_eq!(
        theme_of(&split([220, 120, 20], [190, 40, 40], 0.6)),
        Theme::Warm
    );
    // Olive and moss: hue 60–120° with low saturation.
    assert_eq!(theme_of(&solid([120, 130, 80])), Theme::Earth);
    // Greyish teal: some saturation, below 40%.
    assert_eq!(theme_of(&solid([100, 140, 150])), Theme::Neutral);
}

#[test]
fn noise_is_dropped_and_shares_add_up() {
    // Pure black and pure white are noise: only the red remains.
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(600, 600, |x, y| {
        Rgb(match (x < 200, y < 300) {
            (true, _) => [0, 0, 0],
            (false, true) => [255, 255, 255],
            (false, false) => [200, 30, 30],
        })
    }));
    let analysis = analyze(&image).unwrap();
    assert_eq!(analysis.palette.len(), 1, "{:?}", analysis.palette);
    assert!(distance(analysis.palette[0].hsl(), rgb_to_hsl([200, 30, 30])) < 0.02);
    assert!((analysis.palette[0].share - 1.0).abs() < 1e-9);
    // All black: nothing to say.
    assert!(analyze(&solid([0, 0, 0])).is_none());
    // Two colours: the larger first, shares summing to one.
    let analysis = analyze(&split([30, 80, 200], [220, 200, 60], 0.7)).unwrap();
    assert_eq!(analysis.palette.len(), 2, "{:?}", analysis.palette);
    assert!(analysis.palette[0].share > 0.6);
    let total: f64 = analysis.palette.iter().map(|s| s.share).sum();
    assert!((total - 1.0).abs() < 1e-9);
    // Deterministic.
    assert_eq!(
        analyze(&split([30, 80, 200], [220, 200, 60], 0.7)).unwrap(),
        analysis
    );
}

#[test]
fn the_weighted_distance_follows_perception() {
    let red = rgb_to_hsl([255, 0, 0]);
    let magenta = rgb_to_hsl([255, 0, 128]);
    let green = rgb_to_hsl([0, 255, 0]);
    // Red and magenta are far apart in RGB but close to the eye.
    assert!(distance(red, magenta) < distance(red, green));
    // The hue circle wraps: 350° is 20° from 10°, not 340°.
    let a = Hsl {
        h: 350.0,
        s: 50.0,
        l: 50.0,
    };
    let b = Hsl {
        h: 10.0,
        s: 50.0,
        l: 50.0,
    };
    assert!((distance(a, b) - (0.6f64 * (20.0f64 / 180.0).powi(2)).sqrt()).abs() < 1e-12);
    // The extremes: opposite hues, full saturation and lightness apart.
    let far = distance(
        Hsl {
            h: 0.0,
            s: 0.0,
            l: 0.0,
        },
        Hsl {
            h: 180.0,
            s: 100.0,
            l: 100.0,
        },
    );
    assert!((far - 1.0).abs() < 1e-12);
}

#[test]
fn distance_is_a_symmetric_measure_zero_on_equal_colours() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..10_000 {
        let a: [u8; 3] = rng.random();
        let b: [u8; 3] = rng.random();
        let (ha, hb) = (rgb_to_hsl(a), rgb_to_hsl(b));
        let d = distance(ha, hb);
        assert!((d - distance(hb, ha)).abs() < 1e-12, "{a:?} {b:?}");
        assert!((0.0..=1.0).contains(&d), "{d}");
        assert_eq!(distance(ha, ha), 0.0);
        let h = rgb_to_hsl(a);
        assert!(
            (0.0..360.0).contains(&h.h)
                && (0.0..=100.0).contains(&h.s)
                && (0.0..=100.0).contains(&h.l)
        );
    }
}

#[test]
fn colours_parse_from_hex_and_names() {
    assert_eq!(parse_color("#FF8000"), Some([255, 128, 0]));
    assert_eq!(parse_color("ff8000"), Some([255, 128, 0]));
    assert_eq!(parse_color("#f80"), Some([255, 136, 0]));
    assert_eq!(parse_color(" Navy "), Some([0x1a, 0x23, 0x7e]));
    assert_eq!(parse_color("베이지"), parse_color("beige"));
    assert_eq!(parse_color("#12345"), None);
    assert_eq!(parse_color("#gg0000"), None);
    assert_eq!(parse_color("rainbow"), None);
    assert!(names::names().count() > 20);
}

#[test]
fn matching_finds_the_nearest_palette_colour() {
    let palette = analyze(&split([30, 80, 200], [220, 200, 60], 0.7))
        .unwrap()
        .palette;
    let blue = match_distance(&palette, [40, 90, 210]).unwrap();
    assert!(blue < 0.05);
    assert!(match_distance(&palette, [220, 40, 40]).is_none());
}
