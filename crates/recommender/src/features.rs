//! Item features → index tensors (ML-1). A [`Vocabulary`] maps each field's
//! strings to embedding rows (0 = padding, 1 = a value training never saw);
//! price is banded by the training catalogue's log-price quantiles. Each
//! field's embedding width is fixed so that the pooled fields concatenate to
//! exactly [`FEATURE_DIM`] = 64.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::data::ItemFeatures;

pub const PAD: i64 = 0;
pub const UNKNOWN: i64 = 1;
pub const PRICE_BANDS: usize = 10;
/// Most frequent spec tags kept; rarer ones share the unknown row.
pub const MAX_TAGS: usize = 4096;

/// One feature field: its name, embedding width and how many values an item
/// may carry (more are cut; single-valued fields have 1).
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub dim: i64,
    pub max_values: usize,
}

pub const FIELDS: [Field; 8] = [
    Field {
        name: "category",
        dim: 16,
        max_values: 3,
    },
    Field {
        name: "gender",
        dim: 4,
        max_values: 1,
    },
    Field {
        name: "season",
        dim: 4,
        max_values: 4,
    },
    Field {
        name: "fiber",
        dim: 8,
        max_values: 4,
    },
    Field {
        name: "color",
        dim: 8,
        max_values: 6,
    },
    Field {
        name: "tag",
        dim: 8,
        max_values: 8,
    },
    Field {
        name: "price_band",
        dim: 8,
        max_values: 1,
    },
    Field {
        name: "store",
        dim: 8,
        max_values: 1,
    },
];

pub const FEATURE_DIM: i64 = {
    let mut sum = 0;
    let mut i = 0;
    while i < FIELDS.len() {
        sum += FIELDS[i].dim;
        i += 1;
    }
    sum
};

/// The values of each field an item has, as strings (price already banded).
fn field_values(f: &ItemFeatures) -> [Vec<String>; 7] {
    [
        f.category.clone(),
        f.gender.iter().cloned().collect(),
        f.seasons.clone(),
        f.fibers.clone(),
        f.colors.clone(),
        f.tags.clone(),
        f.store.iter().cloned().collect(),
    ]
}

/// Field index of each entry of [`field_values`] (price is handled apart).
const STRING_FIELDS: [usize; 7] = [0, 1, 2, 3, 4, 5, 7];
const PRICE_FIELD: usize = 6;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Vocabulary {
    /// Per field of [`FIELDS`]: value → row (≥ 2). The price field is empty.
    pub values: Vec<HashMap<String, i64>>,
    /// Upper bounds of the first PRICE_BANDS − 1 bands, ln(1 + price).
    pub price_edges: Vec<f64>,
}

impl Vocabulary {
    /// Learns the vocabulary from a catalogue.
    pub fn fit<'a>(items: impl IntoIterator<Item = &'a ItemFeatures>) -> Self {
        let mut counts: Vec<HashMap<String, usize>> = vec![HashMap::new(); FIELDS.len()];
        let mut prices = Vec::new();
        for f in items {
            for (values, &field) in field_values(f).into_iter().zip(&STRING_FIELDS) {
                for v in values {
                    *counts[field].entry(v).or_default() += 1;
                }
            }
            if f.price > 0.0 {
                prices.push(f.price.ln_1p());
            }
        }
        let values = counts
            .into_iter()
            .enumerate()
            .map(|(field, counts)| {
                let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
                // Frequent first, then by name: the same catalogue always
                // gives the same rows.
                ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                if FIELDS[field].name == "tag" {
                    ranked.truncate(MAX_TAGS);
                }
                ranked
                    .into_iter()
                    .enumerate()
                    .map(|(i, (v, _))| (v, i as i64 + 2))
                    .collect()
            })
            .collect();
        prices.sort_by(f64::total_cmp);
        let price_edges = (1..PRICE_BANDS)
            .filter_map(|b| prices.get(b * prices.len() / PRICE_BANDS).copied())
            .collect();
        Self {
            values,
            price_edges,
        }
    }

    /// Embedding rows per field (padding and unknown included).
    pub fn sizes(&self) -> Vec<i64> {
        (0..FIELDS.len())
            .map(|field| {
                if field == PRICE_FIELD {
                    PRICE_BANDS as i64 + 2
                } else {
                    self.values[field].len() as i64 + 2
                }
            })
            .collect()
    }

    fn price_band(&self, price: f64) -> i64 {
        if price <= 0.0 || self.price_edges.is_empty() {
            return UNKNOWN;
        }
        let x = price.ln_1p();
        2 + self
            .price_edges
            .iter()
            .take_while(|&&edge| x >= edge)
            .count() as i64
    }

    /// Rows of one item, each field padded to its `max_values`.
    fn rows(&self, f: &ItemFeatures) -> Vec<Vec<i64>> {
        let mut out = vec![Vec::new(); FIELDS.len()];
        for (values, &field) in field_values(f).into_iter().zip(&STRING_FIELDS) {
            let map = &self.values[field];
            out[field] = values
                .iter()
                .map(|v| map.get(v).copied().unwrap_or(UNKNOWN))
                .collect();
        }
        out[PRICE_FIELD] = vec![self.price_band(f.price)];
        for (field, rows) in out.iter_mut().enumerate() {
            rows.truncate(FIELDS[field].max_values);
            rows.resize(FIELDS[field].max_values, PAD);
        }
        out
    }

    /// Encodes a catalogue: one `[items, max_values]` int64 tensor per field.
    pub fn encode<'a>(&self, items: impl IntoIterator<Item = &'a ItemFeatures>) -> EncodedItems {
        let mut flat: Vec<Vec<i64>> = vec![Vec::new(); FIELDS.len()];
        let mut n = 0i64;
        for f in items {
            n += 1;
            for (field, rows) in self.rows(f).into_iter().enumerate() {
                flat[field].extend(rows);
            }
        }
        let fields = flat
            .into_iter()
            .zip(FIELDS)
            .map(|(rows, field)| Tensor::from_slice(&rows).view([n, field.max_values as i64]))
            .collect();
        EncodedItems { fields, len: n }
    }
}

/// A catalogue's feature rows, one tensor per field.
#[derive(Debug)]
pub struct EncodedItems {
    pub fields: Vec<Tensor>,
    pub len: i64,
}

impl EncodedItems {
    /// The rows of `items` (an int64 index tensor), on `device`.
    pub fn select(&self, items: &Tensor, device: Device) -> Vec<Tensor> {
        self.fields
            .iter()
            .map(|t| {
                t.index_select(0, &items.to_device(Device::Cpu))
                    .to_device(device)
            })
            .collect()
    }

    pub fn to_device(&self, device: Device) -> EncodedItems {
        EncodedItems {
            fields: self.fields.iter().map(|t| t.to_device(device)).collect(),
            len: self.len,
        }
    }

    /// Everything, as an index tensor `0..len`.
    pub fn all_indexes(&self) -> Tensor {
        Tensor::arange(self.len, (Kind::Int64, Device::Cpu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coat(store: &str, price: f64) -> ItemFeatures {
        ItemFeatures {
            category: vec!["01outer".into(), "01outer_01coat".into()],
            gender: Some("FEMALE".into()),
            seasons: vec!["WINTER".into()],
            fibers: vec!["wool".into(), "nylon".into()],
            colors: vec!["black".into()],
            tags: vec!["warm".into()],
            price,
            store: Some(store.into()),
        }
    }

    #[test]
    fn fields_concatenate_to_64() {
        assert_eq!(FEATURE_DIM, 64);
    }

    #[test]
    fn vocabulary_is_stable_and_encodes_unknowns() {
        let items: Vec<ItemFeatures> = (1..=20).map(|i| coat("s1", i as f64 * 1000.0)).collect();
        let v = Vocabulary::fit(&items);
        assert_eq!(v, Vocabulary::fit(&items));
        assert_eq!(v.price_edges.len(), PRICE_BANDS - 1);
        let mut other = coat("never-seen", 0.0);
        other.colors = vec!["black".into(), "teal".into()];
        let enc = v.encode([&items[0], &items[19], &other]);
        assert_eq!(enc.len, 3);
        for (t, field) in enc.fields.iter().zip(FIELDS) {
            assert_eq!(t.size(), [3, field.max_values as i64], "{}", field.name);
        }
        let store = &enc.fields[7];
        assert_eq!(store.int64_value(&[0, 0]), 2);
        assert_eq!(store.int64_value(&[2, 0]), UNKNOWN);
        let color = &enc.fields[4];
        assert_eq!(color.int64_value(&[2, 1]), UNKNOWN, "teal is unknown");
        assert_eq!(color.int64_value(&[2, 2]), PAD);
        let price = &enc.fields[PRICE_FIELD];
        assert!(price.int64_value(&[0, 0]) < price.int64_value(&[1, 0]));
        assert_eq!(price.int64_value(&[2, 0]), UNKNOWN, "no price");
    }
}
