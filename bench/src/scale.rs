//! Bulk copies of the demo's rows, for the benchmarks that need a big
//! catalogue (search, sitemap).
use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder};
use vitrine::entities::{post, product};

/// Copies of the demo's rows until there are `target` of them.
pub async fn scale(
    db: &sea_orm::DatabaseConnection,
    products: usize,
    posts: usize,
) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let demo: Vec<product::Model> = product::Entity::find()
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?;
    let mut rows = Vec::new();
    for i in demo.len()..products {
        let p = &demo[i % demo.len()];
        rows.push(product::ActiveModel {
            store_id: Set(p.store_id),
            category_id: Set(p.category_id),
            name: Set(format!("{} {}", p.name, i / demo.len())),
            description: Set(p.description.clone()),
            price: Set(p.price + (i % 97) as i64 * 100),
            stock: Set(p.stock),
            gender: Set(p.gender),
            colors: Set(p.colors.clone()),
            seasons: Set(p.seasons.clone()),
            fiber_composition: Set(p.fiber_composition.clone()),
            elasticity: Set(p.elasticity),
            transparency: Set(p.transparency),
            fleece: Set(p.fleece),
            spec_tags: Set(p.spec_tags.clone()),
            options: Set(p.options.clone()),
            status: Set(p.status),
            rating_sum: Set(0),
            review_count: Set(0),
            rating_avg: Set(0.0),
            wishlist_count: Set(0),
            sold_count: Set(0),
            popularity: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        if rows.len() == 1_000 {
            product::Entity::insert_many(std::mem::take(&mut rows))
                .exec_without_returning(db)
                .await?;
        }
    }
    if !rows.is_empty() {
        product::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    let demo: Vec<post::Model> = post::Entity::find()
        .order_by_asc(post::Column::Id)
        .all(db)
        .await?;
    let mut rows = Vec::new();
    for i in demo.len()..posts {
        let p = &demo[i % demo.len()];
        let (likes, comments) = ((i % 13) as i64, (i % 7) as i64);
        rows.push(post::ActiveModel {
            author_id: Set(p.author_id),
            body: Set(format!("{} #{}", p.body, i / demo.len())),
            design_id: Set(None),
            like_count: Set(likes),
            comment_count: Set(comments),
            engagement_score: Set(vitrine::domain::community::engagement_score(
                likes, comments,
            )),
            created_at: Set(now),
            ..Default::default()
        });
        if rows.len() == 1_000 {
            post::Entity::insert_many(std::mem::take(&mut rows))
                .exec_without_returning(db)
                .await?;
        }
    }
    if !rows.is_empty() {
        post::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
