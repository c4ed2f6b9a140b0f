//! Rule-based attribute inference (ML-1's "reinforced features" when the
//! seller left them out): colours, fibres, seasons and product-type tags
//! found in a product's name and description by matching Korean and English
//! vocabularies. It is the offline default of the app's attribute
//! inference, and needs no model.
//!
//! Every answer is a canonical lower-case English name (`빨간색` → `red`,
//! `코튼` → `cotton`, `겨울` → `winter`). The vocabularies include the
//! gift-shop words of the evaluation dataset ([`crate::retail`]'s colours
//! and materials: `retrospot`, `jute`, `wicker`, …).
//!
//! ## Matching
//! Text is cut into tokens at every character that is not a letter or a
//! digit, and again where the script changes (`면100%` → `면`, `100`;
//! `cotton100` → `cotton`, `100`).
//! - **English** words and phrases match whole tokens only, longest phrase
//!   first (`sky blue`, `t shirt`): `Redmond` is not red, `reddish` is not
//!   red either, and the `shirt` of a `t-shirt` is not a shirt.
//! - **Korean** attaches particles and suffixes to words (`빨간색 가방`,
//!   `겨울철`, `울100%`), so a Korean stem matches the *start* of a token.
//!   Long, unambiguous stems ([`Ko::Prefix`]) accept any rest; short or
//!   ambiguous ones ([`Ko::Strict`]) accept only a rest from [`SUFFIXES`]
//!   (particles and the nouns fibres compound with), so that `면접`
//!   (interview), `면세` (duty-free), `울산` (a city) and `블루종` (a
//!   blouson) are not cotton, wool or blue. `도` ("also") is left out of
//!   [`SUFFIXES`] on purpose: `면도` reads as shaving, not "cotton too".
//! - Known misses, accepted: English `fall` is read as the season and `felt`
//!   as the fabric, whatever the sentence meant.
use std::collections::BTreeSet;

/// How a Korean stem may continue inside its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ko {
    /// Any rest (`빨간` in `빨간색`, `빨간색상`).
    Prefix,
    /// Nothing, or a rest from [`SUFFIXES`].
    Strict,
}

/// One canonical value and the words that name it.
#[derive(Clone, Copy, Debug)]
pub struct Term {
    /// The canonical lower-case English name.
    pub name: &'static str,
    /// Whole-token English words; a space separates a phrase's tokens.
    pub en: &'static [&'static str],
    /// Korean stems.
    pub ko: &'static [(&'static str, Ko)],
}

const fn term(
    name: &'static str,
    en: &'static [&'static str],
    ko: &'static [(&'static str, Ko)],
) -> Term {
    Term { name, en, ko }
}

use Ko::{Prefix as P, Strict as S};

/// What may follow a [`Ko::Strict`] stem in its token: particles, and the
/// nouns a colour or fibre word compounds with.
pub const SUFFIXES: &[&str] = &[
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "의",
    "에",
    "로",
    "으로",
    "과",
    "와",
    "만",
    "이며",
    "이고",
    "입니다",
    "에서",
    "색",
    "색상",
    "컬러",
    "톤",
    "계열",
    "소재",
    "원단",
    "혼방",
    "혼용",
    "함량",
    "바지",
    "티",
    "셔츠",
    "니트",
    "코트",
    "자켓",
    "재킷",
];

/// Colours.
pub const COLORS: &[Term] = &[
    term(
        "black",
        &["black"],
        &[("검정", P), ("검은", P), ("블랙", P)],
    ),
    term(
        "white",
        &["white"],
        &[("흰", P), ("하얀", P), ("화이트", P), ("백색", P)],
    ),
    term(
        "gray",
        &["gray", "grey"],
        &[("회색", P), ("그레이", P), ("차콜", P)],
    ),
    term(
        "red",
        &["red"],
        &[
            ("빨강", P),
            ("빨간", P),
            ("빨갛", P),
            ("레드", S),
            ("적색", P),
        ],
    ),
    term("orange", &["orange"], &[("주황", P), ("오렌지", S)]),
    term("pink", &["pink"], &[("분홍", P), ("핑크", P)]),
    term(
        "yellow",
        &["yellow"],
        &[("노랑", P), ("노란", P), ("옐로", P)],
    ),
    term("beige", &["beige"], &[("베이지", P)]),
    term(
        "brown",
        &["brown", "chocolate"],
        &[("갈색", P), ("브라운", P), ("초콜릿", S)],
    ),
    term(
        "green",
        &["green"],
        &[("초록", P), ("녹색", P), ("그린", S)],
    ),
    term("khaki", &["khaki"], &[("카키", P)]),
    term("mint", &["mint"], &[("민트", P)]),
    term(
        "blue",
        &["blue"],
        &[("파랑", P), ("파란", P), ("블루", S), ("청색", P)],
    ),
    term("navy", &["navy"], &[("네이비", P), ("남색", P)]),
    term(
        "skyblue",
        &["skyblue", "sky blue"],
        &[("하늘색", P), ("스카이블루", P)],
    ),
    term("purple", &["purple", "violet"], &[("보라", P), ("퍼플", P)]),
    term(
        "lavender",
        &["lavender", "lilac"],
        &[("라벤더", P), ("연보라", P)],
    ),
    term("wine", &["wine", "burgundy"], &[("와인", S), ("버건디", P)]),
    term("neon", &["neon"], &[("네온", P), ("형광", P)]),
    term("gold", &["gold", "golden"], &[("금색", P), ("골드", P)]),
    term("silver", &["silver"], &[("은색", P), ("실버", P)]),
    term("ivory", &["ivory"], &[("아이보리", P)]),
    term("cream", &["cream"], &[("크림", S)]),
    term(
        "turquoise",
        &["turquoise"],
        &[("터키석", P), ("터콰이즈", P)],
    ),
    term("copper", &["copper"], &[("구리", S), ("코퍼", P)]),
    term(
        "mixed",
        &["multicolour", "multicolor", "multi colour", "multi color"],
        &[("멀티컬러", P), ("혼합색", P)],
    ),
];

/// Fibres and other materials.
pub const FIBERS: &[Term] = &[
    term(
        "cotton",
        &["cotton"],
        &[("면", S), ("코튼", P), ("순면", P)],
    ),
    term(
        "wool",
        &["wool", "woollen", "woolen", "merino"],
        &[("울", S), ("양모", P), ("메리노", P)],
    ),
    term("linen", &["linen"], &[("린넨", P), ("리넨", P)]),
    term("silk", &["silk"], &[("실크", P), ("견사", P)]),
    term(
        "cashmere",
        &["cashmere"],
        &[("캐시미어", P), ("캐멀헤어", P)],
    ),
    term(
        "polyester",
        &["polyester", "poly"],
        &[("폴리에스터", P), ("폴리에스테르", P), ("폴리", S)],
    ),
    term("nylon", &["nylon"], &[("나일론", P)]),
    term(
        "spandex",
        &["spandex", "elastane", "lycra"],
        &[("스판", P), ("엘라스틴", P)],
    ),
    term("polyurethane", &["polyurethane"], &[("폴리우레탄", P)]),
    term(
        "rayon",
        &["rayon", "viscose"],
        &[("레이온", P), ("비스코스", P)],
    ),
    term("acrylic", &["acrylic"], &[("아크릴", P)]),
    term("modal", &["modal"], &[("모달", S)]),
    term(
        "lyocell",
        &["lyocell", "tencel"],
        &[("텐셀", P), ("라이오셀", P)],
    ),
    term("hemp", &["hemp"], &[("대마", S), ("헴프", P)]),
    term("denim", &["denim"], &[("데님", P)]),
    term("leather", &["leather"], &[("가죽", P), ("레더", P)]),
    term("velvet", &["velvet"], &[("벨벳", P)]),
    term("lace", &["lace"], &[("레이스", P)]),
    term("felt", &["felt"], &[("펠트", P)]),
    term("canvas", &["canvas"], &[("캔버스", P)]),
    term("jute", &["jute"], &[("황마", P), ("주트", P)]),
    term(
        "wood",
        &["wood", "wooden"],
        &[("원목", P), ("나무", P), ("우드", S)],
    ),
    term("bamboo", &["bamboo"], &[("대나무", P), ("뱀부", P)]),
    term(
        "wicker",
        &["wicker", "rattan"],
        &[("라탄", P), ("등나무", P)],
    ),
    term(
        "metal",
        &["metal", "steel", "iron"],
        &[("금속", P), ("스틸", P), ("철제", P)],
    ),
    term("zinc", &["zinc"], &[("아연", P)]),
    term("tin", &["tin"], &[("양철", P)]),
    term("enamel", &["enamel"], &[("법랑", P), ("에나멜", P)]),
    term("glass", &["glass"], &[("유리", P)]),
    term("crystal", &["crystal"], &[("크리스탈", P), ("크리스털", P)]),
    term(
        "ceramic",
        &["ceramic", "stoneware"],
        &[("세라믹", P), ("도자기", P), ("도기", S)],
    ),
    term("porcelain", &["porcelain"], &[("자기", S), ("포슬린", P)]),
    term("paper", &["paper"], &[("종이", P), ("한지", P)]),
    term("plastic", &["plastic"], &[("플라스틱", P)]),
];

/// Seasons.
pub const SEASONS: &[Term] = &[
    term("spring", &["spring"], &[("봄", P), ("간절기", P)]),
    term(
        "summer",
        &["summer"],
        &[("여름", P), ("하절기", P), ("썸머", P)],
    ),
    term("autumn", &["autumn", "fall"], &[("가을", P), ("간절기", P)]),
    term(
        "winter",
        &["winter"],
        &[("겨울", P), ("동절기", P), ("윈터", P)],
    ),
];

/// Product types and properties, as spec tags.
pub const TAGS: &[Term] = &[
    term("coat", &["coat", "overcoat", "trench"], &[("코트", P)]),
    term(
        "jacket",
        &["jacket", "blazer", "blouson"],
        &[("재킷", P), ("자켓", P), ("블레이저", P), ("블루종", P)],
    ),
    term(
        "jumper",
        &["jumper", "parka", "puffer", "padding"],
        &[("점퍼", P), ("패딩", P), ("파카", P)],
    ),
    term("cardigan", &["cardigan"], &[("가디건", P), ("카디건", P)]),
    term("blouse", &["blouse"], &[("블라우스", P)]),
    term(
        "tshirt",
        &["tshirt", "t shirt", "tee"],
        &[("티셔츠", P), ("반팔티", P), ("긴팔티", P)],
    ),
    term("shirt", &["shirt"], &[("셔츠", P), ("남방", P)]),
    term(
        "knit",
        &["knit", "knitted", "sweater"],
        &[("니트", P), ("스웨터", P)],
    ),
    term("hoodie", &["hoodie", "hooded"], &[("후드", P), ("후디", P)]),
    term(
        "pants",
        &["pants", "trousers", "slacks"],
        &[("팬츠", P), ("슬랙스", P), ("바지", S)],
    ),
    term("jeans", &["jeans"], &[("청바지", P), ("진즈", P)]),
    term("skirt", &["skirt"], &[("스커트", P), ("치마", P)]),
    term("shorts", &["shorts"], &[("반바지", P), ("숏팬츠", P)]),
    term("dress", &["dress"], &[("원피스", P), ("드레스", P)]),
    term(
        "jumpsuit",
        &["jumpsuit", "overalls"],
        &[("점프수트", P), ("점프슈트", P), ("멜빵", P)],
    ),
    term(
        "shoes",
        &["shoes", "sneakers", "boots", "sandals", "loafers"],
        &[
            ("신발", P),
            ("운동화", P),
            ("스니커즈", P),
            ("부츠", P),
            ("샌들", P),
            ("로퍼", P),
        ],
    ),
    term(
        "bag",
        &["bag", "tote", "backpack"],
        &[("가방", P), ("백팩", P), ("토트", P)],
    ),
    term(
        "water-repellent",
        &[
            "waterproof",
            "water-repellent",
            "water repellent",
            "rainproof",
        ],
        &[("방수", P), ("발수", P)],
    ),
    term(
        "fleece",
        &["fleece", "fleeced"],
        &[("기모", P), ("플리스", P)],
    ),
    term(
        "oversized",
        &["oversized", "oversize"],
        &[("오버핏", P), ("오버사이즈", P)],
    ),
    term(
        "handmade",
        &["handmade", "hand made"],
        &[("수제", P), ("핸드메이드", P)],
    ),
    term(
        "dotted",
        &["retrospot", "polkadot", "polka dot", "spotty", "dotty"],
        &[("도트", P), ("땡땡이", P)],
    ),
    term(
        "striped",
        &["stripe", "stripes", "striped"],
        &[("스트라이프", P), ("줄무늬", P)],
    ),
];

/// What the text names, each list in order of first mention, without
/// repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inferred {
    pub colors: Vec<String>,
    pub fibers: Vec<String>,
    pub seasons: Vec<String>,
    pub tags: Vec<String>,
}

impl Inferred {
    /// Nothing was found.
    pub fn is_empty(&self) -> bool {
        self.colors.is_empty()
            && self.fibers.is_empty()
            && self.seasons.is_empty()
            && self.tags.is_empty()
    }
}

/// The canonical names of a vocabulary, in its order.
pub fn names(vocabulary: &[Term]) -> Vec<&'static str> {
    vocabulary.iter().map(|t| t.name).collect()
}

/// Colours, fibres, seasons and type tags named in `name` and
/// `description`.
pub fn infer(name: &str, description: &str) -> Inferred {
    let tokens = tokens(&format!("{name}\n{description}"));
    Inferred {
        colors: find(COLORS, &tokens),
        fibers: find(FIBERS, &tokens),
        seasons: find(SEASONS, &tokens),
        tags: find(TAGS, &tokens),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Hangul,
    Digit,
    Other,
}

fn script(c: char) -> Script {
    if c.is_numeric() {
        Script::Digit
    } else if matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
    {
        Script::Hangul
    } else {
        Script::Other
    }
}

/// Lower-case tokens, cut at non-alphanumerics and at script changes. A
/// hyphen inside a word joins it (`t-shirt` → `tshirt` is spelled out as a
/// phrase instead; `water-repellent` is kept whole).
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut last: Option<Script> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let joins_hyphen = c == '-'
            && last == Some(Script::Other)
            && current.chars().count() > 1
            && chars
                .peek()
                .is_some_and(|n| n.is_alphabetic() && script(*n) == Script::Other);
        if joins_hyphen {
            current.push('-');
            continue;
        }
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            last = None;
            continue;
        }
        let s = script(c);
        if last.is_some_and(|l| l != s) && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
        last = Some(s);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn korean_match(token: &str, stem: &str, mode: Ko) -> bool {
    let Some(rest) = token.strip_prefix(stem) else {
        return false;
    };
    match mode {
        Ko::Prefix => true,
        Ko::Strict => rest.is_empty() || SUFFIXES.contains(&rest),
    }
}

/// The canonical names `vocabulary` finds in `tokens`, in order of first
/// mention. English phrases match longest first, and consume their tokens.
fn find(vocabulary: &[Term], tokens: &[String]) -> Vec<String> {
    let mut phrases: Vec<(Vec<&str>, &'static str)> = vocabulary
        .iter()
        .flat_map(|t| t.en.iter().map(move |w| (w.split(' ').collect(), t.name)))
        .collect();
    phrases.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let phrase = phrases.iter().find(|(words, _)| {
            tokens.len() - i >= words.len()
                && words
                    .iter()
                    .zip(&tokens[i..])
                    .all(|(w, t)| *w == t.as_str())
        });
        if let Some((words, name)) = phrase {
            if seen.insert(*name) {
                out.push((*name).to_owned());
            }
            i += words.len();
            continue;
        }
        let token = tokens[i].as_str();
        for t in vocabulary {
            if t.ko
                .iter()
                .any(|(stem, mode)| korean_match(token, stem, *mode))
                && seen.insert(t.name)
            {
                out.push(t.name.to_owned());
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colors(text: &str) -> Vec<String> {
        infer(text, "").colors
    }

    #[test]
    fn korean_colours_with_particles_and_suffixes() {
        assert_eq!(colors("빨간색 가방"), ["red"]);
        assert_eq!(colors("레드 니트"), ["red"]);
        assert_eq!(colors("빨강과 검정이 섞인 체크"), ["red", "black"]);
        assert_eq!(colors("하늘색 셔츠, 네이비 팬츠"), ["skyblue", "navy"]);
        assert_eq!(colors("블루 컬러의 자켓"), ["blue"]);
        assert_eq!(colors("블루색상"), ["blue"]);
    }

    #[test]
    fn english_colours_match_whole_words_only() {
        assert_eq!(colors("Red dress in Sky Blue trim"), ["red", "skyblue"]);
        assert_eq!(colors("GREY and grey and Gray"), ["gray"]);
        assert!(colors("Made in Redmond, reddish glow, Bluetooth").is_empty());
        assert_eq!(colors("RETROSPOT RED TEA SET, CREAM"), ["red", "cream"]);
    }

    #[test]
    fn korean_negatives() {
        // 블루종 is a blouson, not blue; 울산 a city; 면접 an interview.
        let blouson = infer("블루종 점퍼", "울산 공장에서 만든 면접용");
        assert!(blouson.colors.is_empty(), "{blouson:?}");
        assert!(blouson.fibers.is_empty(), "{blouson:?}");
        assert_eq!(blouson.tags, ["jacket", "jumper"]);
        // 면세 (duty-free), 면도 (shaving): not cotton.
        assert!(infer("면세점 면도기", "").fibers.is_empty());
        // 와인잔 is a wine glass, not a wine-coloured thing.
        assert!(colors("와인잔").is_empty());
    }

    #[test]
    fn fibres_in_both_languages() {
        let found = infer("코튼 셔츠", "겉감: 면100%, 울 30% 혼방, 린넨과 폴리에스터");
        assert_eq!(found.fibers, ["cotton", "wool", "linen", "polyester"]);
        let found = infer("Wool blend coat", "60% wool, 40% polyester; lined in silk");
        assert_eq!(found.fibers, ["wool", "polyester", "silk"]);
        assert_eq!(infer("면바지", "").fibers, ["cotton"]);
        assert_eq!(infer("울코트", "").fibers, ["wool"]);
        assert_eq!(infer("JUTE SHOPPER BAG", "").fibers, ["jute"]);
    }

    #[test]
    fn seasons_and_types() {
        let found = infer("겨울철 따뜻한 기모 후드티", "간절기에도 좋아요");
        assert_eq!(found.seasons, ["winter", "spring", "autumn"]);
        assert_eq!(found.tags, ["fleece", "hoodie"]);
        let found = infer("Summer T-shirt", "a light tee for spring");
        assert_eq!(found.seasons, ["summer", "spring"]);
        // The `shirt` of a t-shirt is not a shirt.
        assert_eq!(found.tags, ["tshirt"]);
        let found = infer("Water-repellent trench coat", "");
        assert_eq!(found.tags, ["water-repellent", "coat"]);
    }

    #[test]
    fn nothing_found_is_empty() {
        assert!(infer("", "").is_empty());
        assert!(infer("멋진 상품", "Great value for everyday use").is_empty());
    }

    #[test]
    fn vocabularies_have_unique_lowercase_names() {
        for vocabulary in [COLORS, FIBERS, SEASONS, TAGS] {
            let all = names(vocabulary);
            let unique: BTreeSet<_> = all.iter().collect();
            assert_eq!(unique.len(), all.len());
            assert!(all.iter().all(|n| *n == n.to_lowercase()));
        }
    }
}
