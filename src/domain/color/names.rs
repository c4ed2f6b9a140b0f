//! Colours a search may name: `#rrggbb`, `#rgb`, or a name (English, or
//! Korean as shoppers type it).

/// Named colours, interior and fashion vocabulary included.
const NAMED: &[(&str, [u8; 3])] = &[
    ("red", [0xd3, 0x2f, 0x2f]),
    ("orange", [0xf5, 0x7c, 0x00]),
    ("yellow", [0xfb, 0xc0, 0x2d]),
    ("mustard", [0xd4, 0xa0, 0x17]),
    ("green", [0x38, 0x8e, 0x3c]),
    ("sage", [0x9c, 0xaf, 0x88]),
    ("olive", [0x80, 0x80, 0x00]),
    ("mint", [0x98, 0xe0, 0xc8]),
    ("teal", [0x00, 0x80, 0x80]),
    ("blue", [0x19, 0x76, 0xd2]),
    ("navy", [0x1a, 0x23, 0x7e]),
    ("sky", [0x87, 0xce, 0xeb]),
    ("purple", [0x7b, 0x1f, 0xa2]),
    ("lavender", [0xc8, 0xb6, 0xe2]),
    ("pink", [0xf4, 0x8f, 0xb1]),
    ("brown", [0x79, 0x55, 0x48]),
    ("walnut", [0x5d, 0x43, 0x2c]),
    ("terracotta", [0xc0, 0x6c, 0x4b]),
    ("beige", [0xe8, 0xd9, 0xc0]),
    ("cream", [0xf3, 0xe9, 0xd2]),
    ("ivory", [0xf4, 0xef, 0xe1]),
    ("white", [0xf5, 0xf5, 0xf5]),
    ("gray", [0x9e, 0x9e, 0x9e]),
    ("grey", [0x9e, 0x9e, 0x9e]),
    ("charcoal", [0x36, 0x45, 0x4f]),
    ("black", [0x21, 0x21, 0x21]),
    ("빨강", [0xd3, 0x2f, 0x2f]),
    ("빨간색", [0xd3, 0x2f, 0x2f]),
    ("주황", [0xf5, 0x7c, 0x00]),
    ("주황색", [0xf5, 0x7c, 0x00]),
    ("노랑", [0xfb, 0xc0, 0x2d]),
    ("노란색", [0xfb, 0xc0, 0x2d]),
    ("초록", [0x38, 0x8e, 0x3c]),
    ("초록색", [0x38, 0x8e, 0x3c]),
    ("파랑", [0x19, 0x76, 0xd2]),
    ("파란색", [0x19, 0x76, 0xd2]),
    ("남색", [0x1a, 0x23, 0x7e]),
    ("보라", [0x7b, 0x1f, 0xa2]),
    ("보라색", [0x7b, 0x1f, 0xa2]),
    ("분홍", [0xf4, 0x8f, 0xb1]),
    ("분홍색", [0xf4, 0x8f, 0xb1]),
    ("갈색", [0x79, 0x55, 0x48]),
    ("베이지", [0xe8, 0xd9, 0xc0]),
    ("흰색", [0xf5, 0xf5, 0xf5]),
    ("회색", [0x9e, 0x9e, 0x9e]),
    ("검정", [0x21, 0x21, 0x21]),
    ("검은색", [0x21, 0x21, 0x21]),
];

/// `#rrggbb`, `#rgb` (the `#` optional) or a name; `None` otherwise.
pub fn parse_color(input: &str) -> Option<[u8; 3]> {
    let text = input.trim();
    let lower = text.to_lowercase();
    if let Some((_, rgb)) = NAMED.iter().find(|(name, _)| *name == lower) {
        return Some(*rgb);
    }
    let digits = lower.strip_prefix('#').unwrap_or(&lower);
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |s: &str| u8::from_str_radix(s, 16).ok();
    match digits.len() {
        6 => Some([
            channel(&digits[0..2])?,
            channel(&digits[2..4])?,
            channel(&digits[4..6])?,
        ]),
        3 => {
            let mut rgb = [0u8; 3];
            for (i, c) in digits.chars().enumerate() {
                let v = channel(&c.to_string())?;
                rgb[i] = v * 17;
            }
            Some(rgb)
        }
        _ => None,
    }
}

/// Every name [`parse_color`] knows, for error messages and docs.
#[cfg(test)]
pub fn names() -> impl Iterator<Item = &'static str> {
    NAMED.iter().map(|(name, _)| *name)
}
