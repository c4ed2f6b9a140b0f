//! Interactions: the one representation training, evaluation and serving
//! share, built from the platform's database or from a dataset file
//! ([`crate::retail`]). Users and items get dense indexes (`u32`) in the order
//! they are first seen; every interaction carries its signal and time.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a user did with an item, strongest first (ML-2's weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Signal {
    Purchase,
    Wishlist,
    Review,
    Like,
    /// A short view, a product view or a click.
    View,
}

impl Signal {
    pub const ALL: [Signal; 5] = [
        Signal::Purchase,
        Signal::Wishlist,
        Signal::Review,
        Signal::Like,
        Signal::View,
    ];

    /// purchase > wishlist > review > like > view/click.
    pub fn weight(self) -> f32 {
        match self {
            Signal::Purchase => 5.0,
            Signal::Wishlist => 4.0,
            Signal::Review => 3.0,
            Signal::Like => 2.0,
            Signal::View => 1.0,
        }
    }

    /// The small integer the activity SQL selects.
    pub fn code(self) -> i32 {
        match self {
            Signal::Purchase => 5,
            Signal::Wishlist => 4,
            Signal::Review => 3,
            Signal::Like => 2,
            Signal::View => 1,
        }
    }

    pub fn from_code(code: i64) -> Option<Signal> {
        Signal::ALL
            .into_iter()
            .find(|s| i64::from(s.code()) == code)
    }
}

/// One interaction; `at` is unix seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interaction {
    pub user: u32,
    pub item: u32,
    pub signal: Signal,
    pub at: i64,
}

/// The seed's product features (ML-1), as strings the vocabulary indexes.
/// Multi-valued fields may be empty; `category` is the path from the root.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemFeatures {
    pub category: Vec<String>,
    pub gender: Option<String>,
    pub seasons: Vec<String>,
    pub fibers: Vec<String>,
    pub colors: Vec<String>,
    pub tags: Vec<String>,
    /// In the catalogue's currency; banded by the vocabulary.
    pub price: f64,
    pub store: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The product id (or, for a dataset file, a stable number for its code).
    pub id: i64,
    pub name: String,
    pub features: ItemFeatures,
}

/// A product of the live catalogue as serving indexes it: an [`Item`] with
/// the store whose share of a page is capped.
#[derive(Clone, Debug)]
pub struct CatalogItem {
    pub id: i64,
    pub name: String,
    pub store_id: i64,
    pub features: ItemFeatures,
}

/// Users, items and their interactions, sorted by (user, time).
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub name: String,
    /// External user ids by dense index.
    pub users: Vec<i64>,
    pub items: Vec<Item>,
    pub interactions: Vec<Interaction>,
}

impl Dataset {
    /// SHA-256 over items, users and interactions: names the data a model saw.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for item in &self.items {
            h.update(item.id.to_le_bytes());
            h.update(serde_json::to_vec(&item.features).unwrap_or_default());
        }
        for user in &self.users {
            h.update(user.to_le_bytes());
        }
        for i in &self.interactions {
            h.update(i.user.to_le_bytes());
            h.update(i.item.to_le_bytes());
            h.update([i.signal.code() as u8]);
            h.update(i.at.to_le_bytes());
        }
        hex::encode(h.finalize())
    }

    /// Each user's interactions in time order.
    pub fn by_user(&self) -> Vec<&[Interaction]> {
        let mut out = vec![&self.interactions[0..0]; self.users.len()];
        let mut start = 0;
        while start < self.interactions.len() {
            let user = self.interactions[start].user;
            let end = start
                + self.interactions[start..]
                    .iter()
                    .take_while(|i| i.user == user)
                    .count();
            out[user as usize] = &self.interactions[start..end];
            start = end;
        }
        out
    }

    /// How many distinct users touched each item.
    pub fn item_user_counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.items.len()];
        for per_user in self.by_user() {
            let mut seen: Vec<u32> = per_user.iter().map(|i| i.item).collect();
            seen.sort_unstable();
            seen.dedup();
            for item in seen {
                counts[item as usize] += 1;
            }
        }
        counts
    }

    /// The items as a catalogue of one store (the evaluation and tests do
    /// not diversify by store).
    pub fn catalogue(&self) -> Vec<CatalogItem> {
        self.items
            .iter()
            .map(|i| CatalogItem {
                id: i.id,
                name: i.name.clone(),
                store_id: 0,
                features: i.features.clone(),
            })
            .collect()
    }

    /// The same users and items with only the interactions `keep` accepts.
    pub fn filtered(&self, keep: impl Fn(&Interaction) -> bool) -> Dataset {
        Dataset {
            name: self.name.clone(),
            users: self.users.clone(),
            items: self.items.clone(),
            interactions: self
                .interactions
                .iter()
                .copied()
                .filter(|i| keep(i))
                .collect(),
        }
    }
}

/// Builds a [`Dataset`], interning external user ids and item ids.
#[derive(Default)]
pub struct DatasetBuilder {
    name: String,
    users: Vec<i64>,
    user_index: HashMap<i64, u32>,
    items: Vec<Item>,
    item_index: HashMap<i64, u32>,
    interactions: Vec<Interaction>,
}

impl DatasetBuilder {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Adds an item (its first definition wins); returns its index.
    pub fn item(&mut self, item: Item) -> u32 {
        if let Some(&index) = self.item_index.get(&item.id) {
            return index;
        }
        let index = self.items.len() as u32;
        self.item_index.insert(item.id, index);
        self.items.push(item);
        index
    }

    pub fn item_index(&self, id: i64) -> Option<u32> {
        self.item_index.get(&id).copied()
    }

    fn user(&mut self, id: i64) -> u32 {
        *self.user_index.entry(id).or_insert_with(|| {
            self.users.push(id);
            (self.users.len() - 1) as u32
        })
    }

    /// Records an interaction with a known item; unknown items are skipped
    /// (returns false): activity on a deleted product teaches nothing.
    pub fn interaction(&mut self, user_id: i64, item_id: i64, signal: Signal, at: i64) -> bool {
        let Some(item) = self.item_index(item_id) else {
            return false;
        };
        let user = self.user(user_id);
        self.interactions.push(Interaction {
            user,
            item,
            signal,
            at,
        });
        true
    }

    pub fn build(mut self) -> Dataset {
        self.interactions
            .sort_by_key(|i| (i.user, i.at, i.item, i.signal.code()));
        Dataset {
            name: self.name,
            users: self.users,
            items: self.items,
            interactions: self.interactions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64) -> Item {
        Item {
            id,
            name: format!("item {id}"),
            features: ItemFeatures::default(),
        }
    }

    #[test]
    fn builder_interns_sorts_and_groups() {
        let mut b = DatasetBuilder::new("t");
        b.item(item(10));
        b.item(item(20));
        assert!(b.interaction(7, 20, Signal::View, 50));
        assert!(b.interaction(7, 10, Signal::Purchase, 10));
        assert!(b.interaction(9, 10, Signal::Like, 30));
        assert!(!b.interaction(9, 99, Signal::Like, 30), "unknown item");
        let d = b.build();
        assert_eq!(d.users, vec![7, 9]);
        let by_user = d.by_user();
        assert_eq!(
            by_user[0].iter().map(|i| i.at).collect::<Vec<_>>(),
            [10, 50]
        );
        assert_eq!(by_user[1].len(), 1);
        assert_eq!(d.item_user_counts(), vec![2, 1]);
        let h = d.hash();
        assert_eq!(h, d.clone().hash());
        assert_ne!(h, d.filtered(|i| i.user == 0).hash());
    }

    #[test]
    fn signals_are_ordered_and_round_trip() {
        let weights: Vec<f32> = Signal::ALL.iter().map(|s| s.weight()).collect();
        assert!(weights.windows(2).all(|w| w[0] > w[1]));
        for s in Signal::ALL {
            assert_eq!(Signal::from_code(s.code().into()), Some(s));
        }
    }
}
