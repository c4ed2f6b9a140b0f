//! What a partner's allow-list lets it read, and so which events it may
//! receive. A partner reads only through the persisted operations of its
//! allow-list (API-2), so an event is sent only when one of those
//! documents reads the same data: an allow-list without an order query
//! gets no `order.*` event, one that reads products but not their stock
//! count gets `product.updated` but not `stock.low`.
//!
//! Orders are private: only `PartnerStoreOrders` reads them, and only for
//! a partner linked to a store, so `order.*` events go only to store-linked
//! partners whose allow-list reads orders, and [`super::emit`] sends each
//! of them only its store's lines.
//!
//! Each manifest document is parsed once; the fields it selects (through
//! fragments too) decide what it reads. Field names are the schema's.
use std::{
    collections::{BTreeMap, HashMap},
    sync::OnceLock,
};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};

use super::EventType;
use crate::{domain::partners, entities::partner, protection::contract};

/// The kinds of data one or more documents read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    /// `product` / `products` (anywhere, e.g. under a store).
    pub products: bool,
    /// A product's `stock` count (not only `inStock`).
    pub product_stock: bool,
    /// An order query (`order`, `orders`, `myOrders`, `sellerOrders`, …).
    pub orders: bool,
    /// Review content (`review`, `reviews`, `productReviews`, …).
    pub reviews: bool,
}

impl Reads {
    fn union(self, other: Reads) -> Reads {
        Reads {
            products: self.products || other.products,
            product_stock: self.product_stock || other.product_stock,
            orders: self.orders || other.orders,
            reviews: self.reviews || other.reviews,
        }
    }

    /// Whether events of `kind` carry only data these reads cover.
    pub fn allows(&self, kind: EventType) -> bool {
        match kind {
            EventType::OrderPaid | EventType::OrderShipped => self.orders,
            EventType::ProductUpdated => self.products,
            EventType::StockLow => self.products && self.product_stock,
            EventType::ReviewCreated => self.reviews,
        }
    }
}

fn is_orders(name: &str) -> bool {
    name == "order" || name == "orders" || name.ends_with("Orders")
}

fn is_reviews(name: &str) -> bool {
    name == "review" || name == "reviews" || name.ends_with("Reviews")
}

fn is_products(name: &str) -> bool {
    name == "product" || name == "products"
}

struct Walker<'a> {
    fragments: &'a HashMap<async_graphql::Name, async_graphql::Positioned<FragmentDefinition>>,
    reads: Reads,
    /// Fragments already walked (with the "inside a product" flag), so a
    /// document cannot make the walk loop.
    seen: Vec<(String, bool)>,
}

impl Walker<'_> {
    fn walk(&mut self, set: &SelectionSet, in_product: bool) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let product = is_products(name);
                    self.reads.products |= product;
                    self.reads.orders |= is_orders(name);
                    self.reads.reviews |= is_reviews(name);
                    self.reads.product_stock |= in_product && name == "stock";
                    self.walk(&field.node.selection_set.node, in_product || product);
                }
                Selection::InlineFragment(inline) => {
                    let on_product = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_some_and(|t| t.node.on.node.as_str() == "Product");
                    self.walk(&inline.node.selection_set.node, in_product || on_product);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.to_string();
                    let Some(fragment) =
                        self.fragments.get(spread.node.fragment_name.node.as_str())
                    else {
                        continue;
                    };
                    let on_product =
                        fragment.node.type_condition.node.on.node.as_str() == "Product";
                    let key = (name, in_product || on_product);
                    if self.seen.contains(&key) {
                        continue;
                    }
                    self.seen.push(key.clone());
                    self.walk(&fragment.node.selection_set.node, key.1);
                }
            }
        }
    }
}

/// What one document reads (nothing when it does not parse).
pub fn reads_of(document: &str) -> Reads {
    let Ok(doc) = async_graphql::parser::parse_query(document) else {
        return Reads::default();
    };
    reads_of_parsed(&doc)
}

fn reads_of_parsed(doc: &ExecutableDocument) -> Reads {
    let mut walker = Walker {
        fragments: &doc.fragments,
        reads: Reads::default(),
        seen: Vec::new(),
    };
    match &doc.operations {
        DocumentOperations::Single(op) => walker.walk(&op.node.selection_set.node, false),
        DocumentOperations::Multiple(ops) => {
            for op in ops.values() {
                walker.walk(&op.node.selection_set.node, false);
            }
        }
    }
    walker.reads
}

/// What each partner document of the embedded manifest reads, computed once.
fn manifest_reads() -> &'static BTreeMap<String, Reads> {
    static READS: OnceLock<BTreeMap<String, Reads>> = OnceLock::new();
    READS.get_or_init(|| {
        contract::embedded()
            .operations
            .iter()
            .filter(|(_, e)| e.client == "partner")
            .map(|(id, e)| (id.clone(), reads_of(&e.document)))
            .collect()
    })
}

/// What partner `p`'s allow-list may read.
pub fn reads(p: &partner::Model) -> Reads {
    manifest_reads()
        .iter()
        .filter(|(id, _)| partners::may_run(p, id))
        .fold(Reads::default(), |acc, (_, r)| acc.union(*r))
}

/// Whether partner `p` may receive events of `kind` (order events: only
/// when it is linked to a store, whose lines alone it is sent).
pub fn allows(p: &partner::Model, kind: EventType) -> bool {
    let store_bound = matches!(kind, EventType::OrderPaid | EventType::OrderShipped);
    p.revoked_at.is_none() && (!store_bound || p.store_id.is_some()) && reads(p).allows(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_read_what_they_select() {
        let list = reads_of("query { products(first: 2) { edges { node { id inStock } } } }");
        assert!(list.products && !list.product_stock && !list.orders && !list.reviews);
        assert!(list.allows(EventType::ProductUpdated));
        assert!(!list.allows(EventType::StockLow));
        let one = reads_of(
            "query($id: ID!) { product(id: $id) { ...P } } fragment P on Product { stock }",
        );
        assert!(one.products && one.product_stock);
        assert!(one.allows(EventType::StockLow));
        // `stock` outside a product (a made-up field) does not count.
        assert!(!reads_of("{ store(id: 1) { stock } }").product_stock);
        let orders = reads_of("{ sellerOrders(first: 5) { edges { node { id } } } }");
        assert!(orders.allows(EventType::OrderPaid) && orders.allows(EventType::OrderShipped));
        assert!(!orders.allows(EventType::ProductUpdated));
        let reviews =
            reads_of("{ product(id: 1) { reviews(first: 3) { edges { node { body } } } } }");
        assert!(reviews.allows(EventType::ReviewCreated));
        assert_eq!(reads_of("not graphql"), Reads::default());
        // A fragment spreading itself does not loop.
        let cyclic = reads_of("{ ...F } fragment F on Query { ...F products { id } }");
        assert!(cyclic.products);
    }

    fn shipped(name: &str) -> Reads {
        let (id, _) = contract::embedded()
            .operations
            .iter()
            .find(|(_, e)| e.client == "partner" && e.name == name)
            .unwrap_or_else(|| panic!("{name} is not a partner operation"));
        manifest_reads()[id]
    }

    #[test]
    fn the_shipped_partner_operations() {
        // Products (one with its stock count) and stores, then reviews and
        // a linked store's orders, each in its own document.
        assert!(shipped("PartnerProduct").product_stock);
        let list = shipped("PartnerProducts");
        assert!(list.products && !list.product_stock && !list.orders && !list.reviews);
        let stores = shipped("PartnerStores");
        assert!(!stores.products && !stores.orders && !stores.reviews);
        let reviews = shipped("PartnerProductReviews");
        assert!(reviews.reviews && !reviews.orders && !reviews.product_stock);
        let orders = shipped("PartnerStoreOrders");
        assert!(orders.orders && !orders.products && !orders.reviews);
    }

    #[test]
    fn order_events_need_a_linked_store() {
        let mut p = partner::Model {
            id: 1,
            name: "ERP".into(),
            key_hash: String::new(),
            key_prefix: String::new(),
            allowed_operations: r#"["*"]"#.into(),
            rate_tier: partner::RateTier::Free,
            created_by: 1,
            created_at: chrono::Utc::now(),
            revoked_at: None,
            store_id: None,
        };
        assert!(allows(&p, EventType::ReviewCreated));
        assert!(!allows(&p, EventType::OrderPaid) && !allows(&p, EventType::OrderShipped));
        p.store_id = Some(7);
        assert!(allows(&p, EventType::OrderPaid) && allows(&p, EventType::OrderShipped));
        p.revoked_at = Some(chrono::Utc::now());
        assert!(!allows(&p, EventType::OrderPaid));
    }
}
