//! The evaluation dataset format of `shared/data/online-retail` (UCI "Online
//! Retail"): gzip (or plain) CSV with the header
//! `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country`.
//! A customer is a user, a stock code an item, an invoice line a purchase at
//! its time. Guest lines (no CustomerID), cancellations (`C…` invoices,
//! quantity < 1), non-positive prices and non-product codes (postage, fees,
//! manual adjustments: anything that does not start with five digits) are
//! skipped and counted. Any date range works; dates are `YYYY-MM-DD HH:MM:SS`
//! (the UCI original's `M/D/YYYY H:MM` is accepted too).
use std::{
    collections::{HashMap, HashSet},
    io::Read,
    path::Path,
};

use anyhow::Context;
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::data::{Dataset, DatasetBuilder, Item, ItemFeatures, Signal};

const COLUMNS: [&str; 8] = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
];

const COLOURS: &[&str] = &[
    "RED",
    "PINK",
    "BLUE",
    "GREEN",
    "WHITE",
    "BLACK",
    "IVORY",
    "CREAM",
    "GOLD",
    "SILVER",
    "PURPLE",
    "ORANGE",
    "YELLOW",
    "BROWN",
    "GREY",
    "GRAY",
    "TURQUOISE",
    "LILAC",
    "NAVY",
    "CHOCOLATE",
    "COPPER",
    "RETROSPOT",
    "POLKADOT",
    "SPOTTY",
    "STRIPE",
    "STRIPES",
];
const MATERIALS: &[&str] = &[
    "COTTON",
    "WOOL",
    "JUTE",
    "WOODEN",
    "WOOD",
    "METAL",
    "GLASS",
    "CERAMIC",
    "ZINC",
    "ENAMEL",
    "PAPER",
    "FELT",
    "TIN",
    "PORCELAIN",
    "LEATHER",
    "CANVAS",
    "PLASTIC",
    "WICKER",
    "BAMBOO",
    "SILK",
    "VELVET",
    "LACE",
    "CRYSTAL",
];
const STOP_WORDS: &[&str] = &[
    "OF", "THE", "AND", "WITH", "IN", "SET", "A", "FOR", "TO", "ON",
];

/// What was read and what was left out.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LoadStats {
    pub rows: usize,
    pub used: usize,
    pub guest: usize,
    pub cancelled: usize,
    pub not_a_product: usize,
    pub bad_price: usize,
    pub duplicates: usize,
}

/// Reads a dataset file (gzip detected by its magic bytes).
pub fn load(path: &Path) -> anyhow::Result<(Dataset, LoadStats)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("dataset")
        .trim_end_matches(".gz")
        .trim_end_matches(".csv")
        .to_owned();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut text)
            .with_context(|| format!("decompressing {}", path.display()))?;
        parse(&name, text.as_slice())
    } else {
        parse(&name, bytes.as_slice())
    }
}

fn parse_time(raw: &str) -> Option<i64> {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%m/%d/%Y %H:%M"))
        .ok()
        .map(|t| t.and_utc().timestamp())
}

fn is_product_code(code: &str) -> bool {
    code.len() >= 5 && code.bytes().take(5).all(|b| b.is_ascii_digit())
}

/// Features from a description: the last word is the product type (the
/// category, with the last two words as its sub-category), colour and
/// material words, the rest as tags; price banded later.
pub fn features(description: &str, price: f64) -> ItemFeatures {
    let words: Vec<String> = description
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| w.len() > 1 && !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| w.to_uppercase())
        .collect();
    let mut category = Vec::new();
    if let Some(last) = words.last() {
        category.push(last.clone());
        if words.len() >= 2 {
            category.push(format!("{} {}", words[words.len() - 2], last));
        }
    }
    let pick = |list: &[&str]| -> Vec<String> {
        words
            .iter()
            .filter(|w| list.contains(&w.as_str()))
            .cloned()
            .collect()
    };
    let seasons = if words.iter().any(|w| w == "CHRISTMAS" || w == "XMAS") {
        vec!["WINTER".to_owned()]
    } else if words.iter().any(|w| w == "EASTER") {
        vec!["SPRING".to_owned()]
    } else {
        Vec::new()
    };
    let tags = words
        .iter()
        .take(words.len().saturating_sub(1))
        .filter(|w| {
            !COLOURS.contains(&w.as_str())
                && !MATERIALS.contains(&w.as_str())
                && !STOP_WORDS.contains(&w.as_str())
        })
        .cloned()
        .collect();
    ItemFeatures {
        category,
        gender: None,
        seasons,
        fibers: pick(MATERIALS),
        colors: pick(COLOURS),
        tags,
        price,
        store: None,
    }
}

/// Parses the CSV text. Header names are checked; columns may come in any order.
pub fn parse(name: &str, text: impl Read) -> anyhow::Result<(Dataset, LoadStats)> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text);
    let header = reader.headers().context("reading the header")?.clone();
    let mut at = [0usize; 8];
    for (slot, column) in at.iter_mut().zip(COLUMNS) {
        *slot = header
            .iter()
            .position(|h| h.trim() == column)
            .with_context(|| format!("the header has no `{column}` column: {header:?}"))?;
    }
    let mut stats = LoadStats::default();
    // code → (first description, prices seen); lines kept for after.
    let mut products: HashMap<String, (String, Vec<f64>)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut lines: Vec<(i64, String, i64)> = Vec::new();
    let mut seen: HashSet<(i64, String, i64)> = HashSet::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("reading row {}", n + 2))?;
        stats.rows += 1;
        let field = |i: usize| record.get(at[i]).unwrap_or("").trim();
        let customer = field(6);
        if customer.is_empty() {
            stats.guest += 1;
            continue;
        }
        let quantity: f64 = field(3)
            .parse()
            .with_context(|| format!("row {}: Quantity `{}`", n + 2, field(3)))?;
        if field(0).starts_with('C') || quantity < 1.0 {
            stats.cancelled += 1;
            continue;
        }
        let code = field(1).to_uppercase();
        if !is_product_code(&code) {
            stats.not_a_product += 1;
            continue;
        }
        let price: f64 = field(5)
            .parse()
            .with_context(|| format!("row {}: UnitPrice `{}`", n + 2, field(5)))?;
        if price <= 0.0 {
            stats.bad_price += 1;
            continue;
        }
        let user = customer
            .parse::<f64>()
            .with_context(|| format!("row {}: CustomerID `{customer}`", n + 2))?
            as i64;
        let time = parse_time(field(4))
            .with_context(|| format!("row {}: InvoiceDate `{}`", n + 2, field(4)))?;
        let entry = products.entry(code.clone()).or_insert_with(|| {
            order.push(code.clone());
            (String::new(), Vec::new())
        });
        if entry.0.is_empty() {
            entry.0 = field(2).to_owned();
        }
        entry.1.push(price);
        if !seen.insert((user, code.clone(), time)) {
            stats.duplicates += 1;
            continue;
        }
        stats.used += 1;
        lines.push((user, code, time));
    }

    let mut builder = DatasetBuilder::new(name);
    let mut ids: HashMap<String, i64> = HashMap::new();
    for (i, code) in order.iter().enumerate() {
        let (description, prices) = &products[code];
        let mut prices = prices.clone();
        prices.sort_by(f64::total_cmp);
        let median = prices[prices.len() / 2];
        let id = i as i64 + 1;
        ids.insert(code.clone(), id);
        builder.item(Item {
            id,
            name: if description.is_empty() {
                code.clone()
            } else {
                format!("{description} ({code})")
            },
            features: features(description, median),
        });
    }
    for (user, code, time) in lines {
        builder.interaction(user, ids[&code], Signal::Purchase, time);
    }
    Ok((builder.build(), stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2012-03-01 08:26:00,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2012-03-01 08:26:00,3.39,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,2,2012-03-01 08:26:00,3.39,17850.0,United Kingdom
536366,POST,POSTAGE,1,2012-03-01 09:00:00,18.00,17850.0,United Kingdom
C536379,71053,WHITE METAL LANTERN,-1,2012-03-02 09:41:00,3.39,14527.0,United Kingdom
536380,22728,\"ALARM CLOCK BAKELIKE PINK, LARGE\",4,2012-03-02 09:45:00,3.75,,United Kingdom
536381,22728,\"ALARM CLOCK BAKELIKE PINK, LARGE\",4,2012-03-03 10:00:00,3.75,14527.0,France
536382,22960,JAM MAKING SET WITH JARS,1,2012-03-04 10:00:00,0,14527.0,France
";

    #[test]
    fn reads_the_documented_format_with_other_dates() {
        let (data, stats) = parse("sample", SAMPLE.as_bytes()).unwrap();
        assert_eq!(
            stats,
            LoadStats {
                rows: 8,
                used: 3,
                guest: 1,
                cancelled: 1,
                not_a_product: 1,
                bad_price: 1,
                duplicates: 1,
            }
        );
        assert_eq!(data.users, vec![17850, 14527]);
        assert_eq!(data.items.len(), 3);
        assert_eq!(data.interactions.len(), 3);
        let clock = data
            .items
            .iter()
            .find(|i| i.name.contains("22728"))
            .unwrap();
        assert_eq!(clock.features.colors, vec!["PINK"]);
        assert_eq!(clock.features.category[0], "LARGE");
        let lantern = &data.items[1];
        assert_eq!(lantern.features.fibers, vec!["METAL"]);
        assert_eq!(lantern.features.category, vec!["LANTERN", "METAL LANTERN"]);
        let first = data.interactions[0];
        assert_eq!(first.at, parse_time("2012-03-01 08:26:00").unwrap());
    }

    #[test]
    fn reads_gzip_and_names_missing_columns() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("vitrine-retail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sample.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(SAMPLE.as_bytes()).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let (data, _) = load(&path).unwrap();
        assert_eq!(data.name, "sample");
        assert_eq!(data.interactions.len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();

        let err = parse("x", "InvoiceNo,StockCode\n1,2\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("Description"), "{err}");
        let bad_date = SAMPLE.replace("2012-03-01 08:26:00,2.55", "yesterday,2.55");
        let err = parse("x", bad_date.as_bytes()).unwrap_err();
        assert!(format!("{err:#}").contains("InvoiceDate"), "{err:#}");
    }
}
