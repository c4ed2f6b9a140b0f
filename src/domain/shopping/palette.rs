//! A design's palette (COMM-3's hex colours) in the catalogue's colour
//! vocabulary (`commerce::catalog::COLORS`), so that the own-catalogue search
//! can prefer products of the room's colours: each palette colour becomes
//! the catalogue colour nearest to it by COMM-3's weighted HSL distance,
//! with the hue term scaled by the lower of the two saturations: the hue of
//! an almost grey colour says nothing (an off-white wall is White, not
//! Khaki).
use crate::domain::color::{Hsl, parse_color, rgb_to_hsl};

/// The catalogue colours with a colour of their own (not `Neon`, `Mixed`)
/// and that colour: `parse_color`'s where it names it, else below.
const REFERENCE: &[(&str, Option<[u8; 3]>)] = &[
    ("Black", None),
    ("White", None),
    ("Gray", None),
    ("Red", None),
    ("Orange", None),
    ("Pink", None),
    ("Yellow", None),
    ("Beige", None),
    ("Brown", None),
    ("Green", None),
    ("Khaki", Some([0xc3, 0xb0, 0x91])),
    ("Mint", None),
    ("Blue", None),
    ("Navy", None),
    ("SkyBlue", Some([0x87, 0xce, 0xeb])),
    ("Purple", None),
    ("Lavender", None),
    ("Wine", Some([0x72, 0x2f, 0x37])),
    ("Gold", Some([0xd4, 0xaf, 0x37])),
    ("Silver", Some([0xc0, 0xc0, 0xc0])),
];

fn reference(name: &str, rgb: Option<[u8; 3]>) -> Option<[u8; 3]> {
    rgb.or_else(|| parse_color(name))
}

/// COMM-3's distance (`sqrt(0.6·(Δh/180)² + 0.2·(Δs/100)² +
/// 0.2·(Δl/100)²)`) with Δh scaled by the lower saturation (0 to 1).
fn distance(a: Hsl, b: Hsl) -> f64 {
    let dh = (a.h - b.h).abs() % 360.0;
    let dh = dh.min(360.0 - dh) / 180.0 * (a.s.min(b.s) / 100.0);
    let ds = (a.s - b.s) / 100.0;
    let dl = (a.l - b.l) / 100.0;
    (0.6 * dh * dh + 0.2 * ds * ds + 0.2 * dl * dl).sqrt()
}

/// The catalogue colour nearest to `rgb`.
pub fn nearest(rgb: [u8; 3]) -> &'static str {
    let wanted = rgb_to_hsl(rgb);
    REFERENCE
        .iter()
        .filter_map(|(name, rgb)| {
            let hsl = rgb_to_hsl(reference(name, *rgb)?);
            Some((*name, distance(wanted, hsl)))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or("Mixed", |(name, _)| name)
}

/// The catalogue colours of a stored palette (a JSON list of hex colours),
/// in the palette's order, each once; empty without a palette.
pub fn catalogue_colors(palette: Option<&str>) -> Vec<String> {
    let hexes: Vec<String> = palette
        .and_then(|raw| serde_json::from_str(raw).ok())
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for rgb in hexes.iter().filter_map(|h| parse_color(h)) {
        let name = nearest(rgb).to_owned();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_colour_is_a_catalogue_colour_with_an_rgb() {
        for (name, rgb) in REFERENCE {
            assert!(
                crate::domain::commerce::catalog::COLORS.contains(name),
                "{name}"
            );
            assert!(reference(name, *rgb).is_some(), "{name}");
            // Each reference is its own nearest colour.
            assert_eq!(nearest(reference(name, *rgb).unwrap_or_default()), *name);
        }
    }

    #[test]
    fn palettes_map_to_the_nearest_catalogue_colours() {
        assert_eq!(nearest([0x70, 0x50, 0x40]), "Brown");
        assert_eq!(nearest([0x1b, 0x1b, 0x1b]), "Black");
        assert_eq!(nearest([0xf0, 0xf0, 0xee]), "White");
        assert_eq!(nearest([0x80, 0x82, 0x80]), "Gray");
        assert_eq!(nearest([0x28, 0x28, 0x28]), "Black");
        assert_eq!(nearest([0x1a, 0x3a, 0x8a]), "Navy");
        assert_eq!(nearest([0x78, 0x55, 0x48]), "Brown");
        assert_eq!(
            catalogue_colors(Some(r##"["#795548", "#7a5649", "#1976d2", "nope"]"##)),
            vec!["Brown", "Blue"]
        );
        assert!(catalogue_colors(None).is_empty());
        assert!(catalogue_colors(Some("not json")).is_empty());
    }
}
