//! Lists inside lists: the first rows of a list for many parents in one
//! `ROW_NUMBER()` statement (a store's products, a product's shorts and
//! reviews, a comment's replies, related products).
use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use sea_orm::{DbBackend, EntityTrait, FromQueryResult, Statement};

use super::{HiddenAuthors, LoadResult};
use crate::entities::{assistant_message, comment, product, review, short};
use crate::infra::sqlite_reads::{Reads, SqliteModel};

/// How to fetch the first rows of a list per parent in one statement.
pub struct FirstRows {
    table: &'static str,
    /// The column naming the parent (`product_id`, `store_id`, …).
    parent: &'static str,
    /// Window order, which is also the list's order.
    order: &'static str,
    /// Extra condition on the rows (`""` for none).
    condition: &'static str,
}

impl FirstRows {
    /// The SQL of a row's author (over the alias `t`) for lists of user
    /// content, whose rows by authors blocked either way are left out.
    fn author(&self) -> Option<&'static str> {
        match self.table {
            "comments" => Some("t.author_id"),
            "reviews" => Some("t.user_id"),
            "shorts" => Some("(SELECT s.owner_id FROM stores s WHERE s.id = t.store_id)"),
            _ => None,
        }
    }
}

pub const PRODUCT_SHORTS: FirstRows = FirstRows {
    table: "shorts",
    parent: "product_id",
    order: "id DESC",
    // Moderation: hidden rows are out of every list.
    condition: "AND hidden_at IS NULL",
};
pub const STORE_SHORTS: FirstRows = FirstRows {
    table: "shorts",
    parent: "store_id",
    order: "id DESC",
    // Moderation: hidden rows are out of every list.
    condition: "AND hidden_at IS NULL",
};
pub const PRODUCT_REVIEWS: FirstRows = FirstRows {
    table: "reviews",
    parent: "product_id",
    order: "id DESC",
    // Moderation: hidden rows are out of every list.
    condition: "AND hidden_at IS NULL",
};
pub const STORE_REVIEWS: FirstRows = FirstRows {
    table: "reviews",
    parent: "store_id",
    order: "id DESC",
    // Moderation: hidden rows are out of every list.
    condition: "AND hidden_at IS NULL",
};
/// A store's listed products, newest first.
pub const STORE_PRODUCTS: FirstRows = FirstRows {
    table: "products",
    parent: "store_id",
    order: "id DESC",
    condition: "AND status = 'ACTIVE'",
};
/// Live replies of a comment, oldest first.
pub const COMMENT_REPLIES: FirstRows = FirstRows {
    table: "comments",
    parent: "parent_id",
    order: "id ASC",
    condition: "AND deleted_at IS NULL AND hidden_at IS NULL",
};
/// Live top-level comments of a post, oldest first.
pub const POST_COMMENTS: FirstRows = FirstRows {
    table: "comments",
    parent: "post_id",
    order: "id ASC",
    condition: "AND deleted_at IS NULL AND hidden_at IS NULL AND parent_id IS NULL",
};
/// A help-assistant conversation's messages, oldest first.
pub const ASSISTANT_MESSAGES: FirstRows = FirstRows {
    table: "assistant_messages",
    parent: "conversation_id",
    order: "id ASC",
    condition: "",
};
/// Listed products of a category, most popular first (related products).
pub const CATEGORY_POPULAR: FirstRows = FirstRows {
    table: "products",
    parent: "category_id",
    order: "popularity DESC, id DESC",
    condition: "AND status = 'ACTIVE'",
};

/// The first `n` rows of a list for many parents at once: `(parent id, n)`
/// keys, one statement per batch with `ROW_NUMBER()` (SQLite ≥ 3.25 and
/// PostgreSQL). Serves the first page of list fields on items of a list.
pub struct FirstRowsLoader<E> {
    reads: Reads,
    rows: &'static FirstRows,
    /// Rows by these authors are left out (see [`FirstRows::author`]).
    hidden: HiddenAuthors,
    _entity: std::marker::PhantomData<fn() -> E>,
}

impl<E> FirstRowsLoader<E> {
    pub(super) fn new(reads: &Reads, hidden: &HiddenAuthors, rows: &'static FirstRows) -> Self {
        Self {
            reads: reads.clone(),
            rows,
            hidden: hidden.clone(),
            _entity: std::marker::PhantomData,
        }
    }
}

/// Entities whose rows can be grouped under a parent column of `FirstRows`.
pub trait ParentOf: EntityTrait {
    fn parent_of(model: &Self::Model, column: &str) -> i64;
}

impl ParentOf for short::Entity {
    fn parent_of(m: &short::Model, column: &str) -> i64 {
        if column == "store_id" {
            m.store_id
        } else {
            m.product_id
        }
    }
}

impl ParentOf for review::Entity {
    fn parent_of(m: &review::Model, column: &str) -> i64 {
        if column == "store_id" {
            m.store_id
        } else {
            m.product_id
        }
    }
}

impl ParentOf for comment::Entity {
    fn parent_of(m: &comment::Model, column: &str) -> i64 {
        if column == "parent_id" {
            m.parent_id.unwrap_or_default()
        } else {
            m.post_id
        }
    }
}

impl ParentOf for assistant_message::Entity {
    fn parent_of(m: &assistant_message::Model, _column: &str) -> i64 {
        m.conversation_id
    }
}

impl ParentOf for product::Entity {
    fn parent_of(m: &product::Model, column: &str) -> i64 {
        if column == "category_id" {
            m.category_id
        } else {
            m.store_id
        }
    }
}

impl<E> Loader<(i64, u64)> for FirstRowsLoader<E>
where
    E: ParentOf + Send + Sync + 'static,
    E::Model: FromQueryResult + SqliteModel + Clone + Send + Sync + 'static,
{
    type Value = Vec<E::Model>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[(i64, u64)]) -> LoadResult<(i64, u64), Self::Value> {
        let limit = keys.iter().map(|k| k.1).max().unwrap_or(0);
        let FirstRows {
            table,
            parent,
            order,
            condition,
        } = self.rows;
        // Parent ids and the limit are bound, so that the statement's text
        // depends only on how many parents there are and stays cached.
        let backend = self.reads.backend();
        let mut parents: Vec<i64> = keys.iter().map(|k| k.0).collect();
        parents.sort_unstable();
        parents.dedup();
        let list = placeholders(backend, 1, parents.len());
        // Authors hidden from the viewer by blocks, bound after the parents.
        let hidden: Vec<i64> = match (self.rows.author(), self.hidden.get()) {
            (Some(_), Some(set)) => set.iter().copied().collect(),
            _ => Vec::new(),
        };
        let hiding = match self.rows.author() {
            Some(author) if !hidden.is_empty() => format!(
                "AND {author} NOT IN ({})",
                placeholders(backend, parents.len() + 1, hidden.len())
            ),
            _ => String::new(),
        };
        let limit_at = placeholders(backend, parents.len() + hidden.len() + 1, 1);
        let sql = format!(
            "SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.{parent} ORDER BY {order}) AS rn \
             FROM {table} t WHERE t.{parent} IN ({list}) {condition} {hiding}) ranked WHERE rn <= {limit_at} ORDER BY {parent}, rn"
        );
        let mut values: Vec<sea_orm::Value> = parents.into_iter().map(Into::into).collect();
        values.extend(hidden.into_iter().map(Into::into));
        values.push((limit as i64).into());
        let rows: Vec<E::Model> = self
            .reads
            .statement(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map_err(Arc::new)?;
        let mut by_parent: HashMap<i64, Vec<E::Model>> = HashMap::new();
        for row in rows {
            by_parent
                .entry(E::parent_of(&row, parent))
                .or_default()
                .push(row);
        }
        Ok(keys
            .iter()
            .map(|(id, n)| {
                let list = by_parent
                    .get(id)
                    .map(|v| v.iter().take(*n as usize).cloned().collect())
                    .unwrap_or_default();
                ((*id, *n), list)
            })
            .collect())
    }
}

/// `count` bind placeholders numbered from `from` (`?` on SQLite, `$n` on
/// PostgreSQL), comma-separated.
pub(super) fn placeholders(backend: DbBackend, from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}
