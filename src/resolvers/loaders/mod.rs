//! Request-scoped DataLoaders: every to-one and to-many edge goes through one,
//! so a list of N items costs a bounded number of SQL statements.
use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use super::batch::Activity;
pub use super::batch::DataLoader;
use crate::entities::{
    assistant_message, category, comment, conversation_member, custom_cart, design, follow, like,
    message, order, post, product, product_image, product_inference, review, short, store, upload,
    user, wishlist_item,
};
use crate::infra::sqlite_reads::{Reads, SqliteModel};

mod first_rows;

pub use first_rows::*;

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<sea_orm::DbErr>>;

/// All loaders of one request.
pub struct Loaders {
    pub users: DataLoader<ByIdLoader<user::Entity>>,
    pub stores: DataLoader<ByIdLoader<store::Entity>>,
    pub categories: DataLoader<ByIdLoader<category::Entity>>,
    pub products: DataLoader<ByIdLoader<product::Entity>>,
    pub shorts: DataLoader<ByIdLoader<short::Entity>>,
    pub product_images: DataLoader<ProductImagesLoader>,
    pub product_inferences: DataLoader<ProductInferenceLoader>,
    pub product_variants:
        DataLoader<crate::resolvers::commerce::variant_types::ProductVariantsLoader>,
    pub line_returns: DataLoader<crate::resolvers::commerce::returns::LineReturnsLoader>,
    pub coupons: DataLoader<crate::resolvers::commerce::coupons::CouponsLoader>,
    pub category_children: DataLoader<CategoryChildrenLoader>,
    pub product_shorts: DataLoader<FirstRowsLoader<short::Entity>>,
    pub store_shorts: DataLoader<FirstRowsLoader<short::Entity>>,
    pub product_reviews: DataLoader<FirstRowsLoader<review::Entity>>,
    pub store_reviews: DataLoader<FirstRowsLoader<review::Entity>>,
    pub store_products: DataLoader<FirstRowsLoader<product::Entity>>,
    pub category_popular: DataLoader<FirstRowsLoader<product::Entity>>,
    pub in_viewer_set: DataLoader<InViewerSetLoader>,
    pub uploads: DataLoader<UploadLoader>,
    pub post_images: DataLoader<PostImagesLoader>,
    pub designs: DataLoader<ByIdLoader<design::Entity>>,
    pub posts: DataLoader<ByIdLoader<post::Entity>>,
    pub comment_replies: DataLoader<FirstRowsLoader<comment::Entity>>,
    pub post_comments: DataLoader<FirstRowsLoader<comment::Entity>>,
    pub custom_cart_counts: DataLoader<CustomCartCountLoader>,
    pub custom_cart_items: DataLoader<CustomCartItemsLoader>,
    pub order_lines: DataLoader<OrderLinesLoader>,
    pub order_payments: DataLoader<OrderPaymentLoader>,
    pub messages: DataLoader<ByIdLoader<message::Entity>>,
    pub conversation_members: DataLoader<ConversationMembersLoader>,
    pub conversation_unread: DataLoader<ConversationUnreadLoader>,
    pub assistant_messages: DataLoader<FirstRowsLoader<assistant_message::Entity>>,
    /// The viewer's hidden set (blocks, both ways), read once per request
    /// by `resolvers::blocks::hidden`; the first-page loaders of user
    /// content leave its authors out.
    pub hidden_authors: HiddenAuthors,
}

/// Authors hidden from the request's viewer (issue 22), filled on first use.
pub type HiddenAuthors = Arc<tokio::sync::OnceCell<Arc<std::collections::HashSet<i64>>>>;

/// The loaders of one request or one WebSocket operation, built on first use:
/// most operations (sign-in, an idle subscription) never need them, and an
/// idle subscriber should not hold thirty of them.
pub struct RequestLoaders {
    reads: Reads,
    built: std::sync::OnceLock<Loaders>,
}

impl RequestLoaders {
    pub fn new(reads: &Reads) -> Self {
        Self {
            reads: reads.clone(),
            built: std::sync::OnceLock::new(),
        }
    }

    pub fn get(&self) -> &Loaders {
        self.built.get_or_init(|| Loaders::new(&self.reads))
    }
}

fn loader<T: Send + Sync + 'static>(activity: &Arc<Activity>, inner: T) -> DataLoader<T> {
    DataLoader::with_activity(inner, activity.clone())
}

impl Loaders {
    /// Each loader batches the keys asked for while the request's task has
    /// more to add, then runs one statement (see `batch`).
    pub fn new(reads: &Reads) -> Self {
        let db = reads.db().clone();
        let activity = Arc::new(Activity::default());
        let hidden = HiddenAuthors::default();
        Self {
            hidden_authors: hidden.clone(),
            users: loader(&activity, ByIdLoader::new(reads)),
            stores: loader(&activity, ByIdLoader::new(reads)),
            categories: loader(&activity, ByIdLoader::new(reads)),
            products: loader(&activity, ByIdLoader::new(reads)),
            shorts: loader(&activity, ByIdLoader::new(reads)),
            product_images: loader(
                &activity,
                ProductImagesLoader {
                    reads: reads.clone(),
                },
            ),
            product_inferences: loader(&activity, ProductInferenceLoader { db: db.clone() }),
            product_variants: loader(
                &activity,
                crate::resolvers::commerce::variant_types::ProductVariantsLoader { db: db.clone() },
            ),
            line_returns: loader(
                &activity,
                crate::resolvers::commerce::returns::LineReturnsLoader { db: db.clone() },
            ),
            coupons: loader(
                &activity,
                crate::resolvers::commerce::coupons::CouponsLoader { db: db.clone() },
            ),
            category_children: loader(
                &activity,
                CategoryChildrenLoader {
                    reads: reads.clone(),
                },
            ),
            product_shorts: loader(
                &activity,
                FirstRowsLoader::new(reads, &hidden, &PRODUCT_SHORTS),
            ),
            store_shorts: loader(
                &activity,
                FirstRowsLoader::new(reads, &hidden, &STORE_SHORTS),
            ),
            product_reviews: loader(
                &activity,
                FirstRowsLoader::new(reads, &hidden, &PRODUCT_REVIEWS),
            ),
            store_reviews: loader(
                &activity,
                FirstRowsLoader::new(reads, &hidden, &STORE_REVIEWS),
            ),
            store_products: loader(
                &activity,
                FirstRowsLoader::new(reads, &hidden, &STORE_PRODUCTS),
            ),
            category_popular: loader(
                &activity,
                FirstRowsLoader::new(reads, &hidden, &CATEGORY_POPULAR),
            ),
            in_viewer_set: loader(&activity, InViewerSetLoader { db: db.clone() }),
            uploads: loader(
                &activity,
                UploadLoader {
                    reads: reads.clone(),
                },
            ),
            post_images: loader(
                &activity,
                PostImagesLoader {
                    reads: reads.clone(),
                },
            ),
            designs: loader(&activity, ByIdLoader::new(reads)),
            posts: loader(&activity, ByIdLoader::new(reads)),
            comment_replies: loader(
                &activity,
                FirstRowsLoader::new(reads, &hidden, &COMMENT_REPLIES),
            ),
            post_comments: loader(
                &activity,
                FirstRowsLoader::new(reads, &hidden, &POST_COMMENTS),
            ),
            custom_cart_counts: loader(&activity, CustomCartCountLoader { db: db.clone() }),
            custom_cart_items: loader(&activity, CustomCartItemsLoader { db: db.clone() }),
            order_lines: loader(&activity, OrderLinesLoader { db: db.clone() }),
            order_payments: loader(&activity, OrderPaymentLoader { db: db.clone() }),
            messages: loader(&activity, ByIdLoader::new(reads)),
            conversation_members: loader(&activity, ConversationMembersLoader { db: db.clone() }),
            assistant_messages: loader(
                &activity,
                FirstRowsLoader::new(reads, &hidden, &ASSISTANT_MESSAGES),
            ),
            conversation_unread: loader(&activity, ConversationUnreadLoader { db }),
        }
    }
}

/// Rows of an entity with an `i64` primary key, by id.
pub struct ByIdLoader<E> {
    reads: Reads,
    _entity: std::marker::PhantomData<fn() -> E>,
}

impl<E> ByIdLoader<E> {
    fn new(reads: &Reads) -> Self {
        Self {
            reads: reads.clone(),
            _entity: std::marker::PhantomData,
        }
    }
}

/// Entities whose primary key column is `id: i64`.
pub trait HasId: EntityTrait {
    fn id_column() -> Self::Column;
    fn id_of(model: &Self::Model) -> i64;
}

macro_rules! has_id {
    ($($module:ident),+) => {$(
        impl HasId for $module::Entity {
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            fn id_of(model: &Self::Model) -> i64 {
                model.id
            }
        }
    )+};
}
has_id!(
    user,
    store,
    category,
    product,
    short,
    design,
    post,
    message,
    review,
    comment,
    assistant_message
);

impl<E> Loader<i64> for ByIdLoader<E>
where
    E: HasId + Send + Sync + 'static,
    E::Model: SqliteModel + Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, E::Model> {
        let rows = self
            .reads
            .all(E::find().filter(E::id_column().is_in(keys.iter().copied())))
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|m| (E::id_of(&m), m)).collect())
    }
}

/// A product's images in display order.
pub struct ProductImagesLoader {
    reads: Reads,
}

impl Loader<i64> for ProductImagesLoader {
    type Value = Vec<product_image::Model>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = self
            .reads
            .all(
                product_image::Entity::find()
                    .filter(product_image::Column::ProductId.is_in(keys.iter().copied()))
                    .order_by_asc(product_image::Column::ProductId)
                    .order_by_asc(product_image::Column::Position),
            )
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<i64, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.product_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// A product's inferred attributes (ML-1), by product.
pub struct ProductInferenceLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for ProductInferenceLoader {
    type Value = product_inference::Model;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = crate::domain::commerce::inference::inferences_of(&self.db, keys)
            .await
            .map_err(|e| Arc::new(sea_orm::DbErr::Custom(e.message())))?;
        Ok(rows.into_iter().map(|r| (r.product_id, r)).collect())
    }
}

/// Children of taxonomy nodes, in taxonomy order.
pub struct CategoryChildrenLoader {
    reads: Reads,
}

impl Loader<i64> for CategoryChildrenLoader {
    type Value = Vec<category::Model>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = self
            .reads
            .all(
                category::Entity::find()
                    .filter(category::Column::ParentId.is_in(keys.iter().copied()))
                    .order_by_asc(category::Column::Position),
            )
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<i64, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(parent) = row.parent_id {
                out.entry(parent).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// A set of things a viewer has: the products in their wishlist, the
/// accounts they follow, what they liked (per target type). Output types
/// ask "is X in the viewer's set" through one [`InViewerSetLoader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViewerSet {
    Wishlist,
    Following,
    Liked(like::LikeTarget),
}

impl ViewerSet {
    /// Which of `ids` are in `viewer`'s set.
    async fn members(
        self,
        db: &DatabaseConnection,
        viewer: i64,
        ids: Vec<i64>,
    ) -> Result<Vec<i64>, sea_orm::DbErr> {
        match self {
            Self::Wishlist => {
                wishlist_item::Entity::find()
                    .select_only()
                    .column(wishlist_item::Column::ProductId)
                    .filter(wishlist_item::Column::UserId.eq(viewer))
                    .filter(wishlist_item::Column::ProductId.is_in(ids))
                    .into_tuple()
                    .all(db)
                    .await
            }
            Self::Following => {
                follow::Entity::find()
                    .select_only()
                    .column(follow::Column::FolloweeId)
                    .filter(follow::Column::FollowerId.eq(viewer))
                    .filter(follow::Column::FolloweeId.is_in(ids))
                    .into_tuple()
                    .all(db)
                    .await
            }
            Self::Liked(target) => {
                like::Entity::find()
                    .select_only()
                    .column(like::Column::TargetId)
                    .filter(like::Column::UserId.eq(viewer))
                    .filter(like::Column::TargetType.eq(target))
                    .filter(like::Column::TargetId.is_in(ids))
                    .into_tuple()
                    .all(db)
                    .await
            }
        }
    }
}

/// Whether `(set, viewer, id)`: `id` is in the viewer's [`ViewerSet`]. One
/// statement per set and viewer in a batch (in practice one viewer per
/// request).
pub struct InViewerSetLoader {
    db: DatabaseConnection,
}

impl Loader<(ViewerSet, i64, i64)> for InViewerSetLoader {
    type Value = bool;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(
        &self,
        keys: &[(ViewerSet, i64, i64)],
    ) -> LoadResult<(ViewerSet, i64, i64), bool> {
        let mut out: HashMap<_, bool> = keys.iter().map(|k| (*k, false)).collect();
        let mut groups: HashMap<(ViewerSet, i64), Vec<i64>> = HashMap::new();
        for (set, viewer, id) in keys {
            groups.entry((*set, *viewer)).or_default().push(*id);
        }
        for ((set, viewer), ids) in groups {
            for id in set.members(&self.db, viewer, ids).await.map_err(Arc::new)? {
                out.insert((set, viewer, id), true);
            }
        }
        Ok(out)
    }
}

/// Uploaded files by id.
pub struct UploadLoader {
    reads: Reads,
}

impl Loader<String> for UploadLoader {
    type Value = upload::Model;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[String]) -> LoadResult<String, upload::Model> {
        let rows = self
            .reads
            .all(upload::Entity::find().filter(upload::Column::Id.is_in(keys.iter().cloned())))
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|u| (u.id.clone(), u)).collect())
    }
}

/// A post's images in order.
pub struct PostImagesLoader {
    reads: Reads,
}

impl Loader<i64> for PostImagesLoader {
    type Value = Vec<post::image::Model>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = self
            .reads
            .all(
                post::image::Entity::find()
                    .filter(post::image::Column::PostId.is_in(keys.iter().copied()))
                    .order_by_asc(post::image::Column::PostId)
                    .order_by_asc(post::image::Column::Position),
            )
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<i64, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.post_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// How many distinct custom carts include each product (COM-8, for sellers).
pub struct CustomCartCountLoader {
    db: DatabaseConnection,
}

#[derive(FromQueryResult)]
struct ProductCount {
    product_id: i64,
    n: i64,
}

impl Loader<i64> for CustomCartCountLoader {
    type Value = i64;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, i64> {
        let backend: DbBackend = self.db.get_database_backend();
        let sql = format!(
            "SELECT product_id, COUNT(DISTINCT custom_cart_id) AS n FROM custom_cart_items \
             WHERE product_id IN ({}) GROUP BY product_id",
            placeholders(backend, 1, keys.len())
        );
        let values = keys.iter().map(|k| sea_orm::Value::from(*k));
        let rows =
            ProductCount::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
                .all(&self.db)
                .await
                .map_err(Arc::new)?;
        let mut out: HashMap<i64, i64> = keys.iter().map(|k| (*k, 0)).collect();
        for row in rows {
            out.insert(row.product_id, row.n);
        }
        Ok(out)
    }
}

/// Items of custom carts, by cart.
pub struct CustomCartItemsLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for CustomCartItemsLoader {
    type Value = Vec<custom_cart::item::Model>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = custom_cart::item::Entity::find()
            .filter(custom_cart::item::Column::CustomCartId.is_in(keys.iter().copied()))
            .order_by_asc(custom_cart::item::Column::Id)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<i64, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.custom_cart_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// Lines of orders, by order.
pub struct OrderLinesLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for OrderLinesLoader {
    type Value = Vec<order::line::Model>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let grouped = crate::domain::commerce::orders::lines_of(&self.db, keys)
            .await
            .map_err(|e| Arc::new(sea_orm::DbErr::Custom(e.message())))?;
        let mut out: HashMap<i64, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        out.extend(grouped);
        Ok(out)
    }
}

/// The payment of orders, by order.
pub struct OrderPaymentLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for OrderPaymentLoader {
    type Value = crate::entities::payment::Model;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        use crate::entities::payment;
        Ok(payment::Entity::find()
            .filter(payment::Column::OrderId.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.order_id, p))
            .collect())
    }
}

/// Member user ids of conversations, in joining order.
pub struct ConversationMembersLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for ConversationMembersLoader {
    type Value = Vec<i64>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Vec<i64>> {
        let rows = conversation_member::Entity::find()
            .filter(conversation_member::Column::ConversationId.is_in(keys.iter().copied()))
            .order_by_asc(conversation_member::Column::JoinedAt)
            .order_by_asc(conversation_member::Column::UserId)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
        for row in rows {
            out.entry(row.conversation_id)
                .or_default()
                .push(row.user_id);
        }
        Ok(out)
    }
}

/// Unread messages (from others, after the read marker) per
/// `(conversation, member)`, one grouped statement per batch.
pub struct ConversationUnreadLoader {
    db: DatabaseConnection,
}

#[derive(FromQueryResult)]
struct UnreadRow {
    conversation_id: i64,
    user_id: i64,
    unread: i64,
}

impl Loader<(i64, i64)> for ConversationUnreadLoader {
    type Value = i64;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[(i64, i64)]) -> LoadResult<(i64, i64), i64> {
        let backend = self.db.get_database_backend();
        let pairs = keys
            .iter()
            .map(|(c, u)| format!("(cm.conversation_id = {c} AND cm.user_id = {u})"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let sql = format!(
            "SELECT cm.conversation_id AS conversation_id, cm.user_id AS user_id, \
             COUNT(m.id) AS unread \
             FROM conversation_members cm \
             LEFT JOIN messages m ON m.conversation_id = cm.conversation_id \
               AND m.id > cm.last_read_message_id AND m.sender_id <> cm.user_id \
               AND m.hidden_at IS NULL \
               AND NOT EXISTS (SELECT 1 FROM user_blocks b \
                 WHERE (b.blocker_id = cm.user_id AND b.blocked_id = m.sender_id) \
                    OR (b.blocked_id = cm.user_id AND b.blocker_id = m.sender_id)) \
             WHERE {pairs} \
             GROUP BY cm.conversation_id, cm.user_id"
        );
        let rows = UnreadRow::find_by_statement(Statement::from_string(backend, sql))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .map(|r| ((r.conversation_id, r.user_id), r.unread))
            .collect())
    }
}
