//! The in-task SQLite read path (`infra::sqlite_reads`) returns exactly what
//! sea-orm's sqlx driver returns, for every model it reads, on the demo shop.
mod common;

use chrono::Utc;
use common::{Backend, TestApp};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use vitrine::{
    entities::{
        assistant_message, category, comment, design, message, post, product, product_image,
        review, short, store, upload, user,
    },
    infra::sqlite_reads::SqliteModel,
};

async fn same<E>(app: &TestApp, what: &str) -> usize
where
    E: EntityTrait,
    E::Model: SqliteModel + PartialEq + std::fmt::Debug,
{
    let reads = &app.state.reads;
    let expected = E::find().all(&app.state.db).await.unwrap();
    let got = reads.all(E::find()).await.unwrap();
    assert_eq!(got, expected, "{what}: every row, every column");
    // `SELECT *` with an extra column, as the first-rows loader reads.
    let table = E::default().table_name().to_owned();
    let raw: Vec<E::Model> = reads
        .statement(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT 1 AS rn, t.* FROM \"{table}\" t ORDER BY rowid"),
        ))
        .await
        .unwrap();
    let by_sea_orm: Vec<E::Model> = E::Model::find_by_statement(Statement::from_string(
        DbBackend::Sqlite,
        format!("SELECT 1 AS rn, t.* FROM \"{table}\" t ORDER BY rowid"),
    ))
    .all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(raw, by_sea_orm, "{what}: SELECT * in table order");
    expected.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_model_reads_the_same_as_through_sea_orm() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert!(
        app.state.reads.is_direct(),
        "a SQLite file is read in the task"
    );
    vitrine::demo::seed(&app.state, 7, 8, 8).await.unwrap();
    // Rows the demo leaves empty or NULL get values.
    let admin = app.user_with_role("ADMIN").await;
    let buyer = app.register("reads@example.com", "reads").await;
    let _ = (admin, buyer);

    let counts = [
        ("users", same::<user::Entity>(&app, "users").await),
        ("stores", same::<store::Entity>(&app, "stores").await),
        (
            "categories",
            same::<category::Entity>(&app, "categories").await,
        ),
        ("products", same::<product::Entity>(&app, "products").await),
        (
            "product_images",
            same::<product_image::Entity>(&app, "product_images").await,
        ),
        ("shorts", same::<short::Entity>(&app, "shorts").await),
        ("reviews", same::<review::Entity>(&app, "reviews").await),
        ("designs", same::<design::Entity>(&app, "designs").await),
        ("posts", same::<post::Entity>(&app, "posts").await),
        (
            "post_images",
            same::<post::image::Entity>(&app, "post_images").await,
        ),
        ("comments", same::<comment::Entity>(&app, "comments").await),
        ("messages", same::<message::Entity>(&app, "messages").await),
        ("uploads", same::<upload::Entity>(&app, "uploads").await),
        (
            "assistant_messages",
            same::<assistant_message::Entity>(&app, "assistant_messages").await,
        ),
    ];
    for (what, n) in &counts[..6] {
        assert!(*n > 0, "the demo has {what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_values_filter_the_same_and_are_counted() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    vitrine::demo::seed(&app.state, 7, 4, 4).await.unwrap();
    let reads = &app.state.reads;
    let statements = || app.state.metrics.db_statements.get();

    // Integers, strings, an enum, a time and a limit, bound.
    let query = || {
        product::Entity::find()
            .filter(product::Column::Id.is_in([1_i64, 2, 3, 5, 8, 13]))
            .filter(product::Column::Status.eq(product::ProductStatus::Active))
            .filter(product::Column::CreatedAt.lt(Utc::now()))
            .filter(product::Column::Name.ne("no such name"))
            .order_by_desc(product::Column::Id)
            .limit(4)
    };
    let before = statements();
    let got = reads.all(query()).await.unwrap();
    assert_eq!(statements(), before + 1, "one statement, counted");
    let expected = query().all(&app.state.db).await.unwrap();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);

    // A statement that fails is an error, not a panic, and is counted.
    let errors = app.state.metrics.db_statement_errors.get();
    let failed = reads
        .statement::<product::Model>(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT * FROM no_such_table",
        ))
        .await;
    assert!(failed.is_err());
    assert_eq!(app.state.metrics.db_statement_errors.get(), errors + 1);

    // Read-only: the path cannot write.
    let write = reads
        .statement::<product::Model>(Statement::from_string(
            DbBackend::Sqlite,
            "UPDATE products SET name = 'x' RETURNING *",
        ))
        .await;
    assert!(write.is_err(), "query_only connections refuse writes");
    let unchanged = product::Entity::find()
        .filter(product::Column::Name.eq("x"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(unchanged.is_empty());
}

/// A write committed through sea-orm is seen by the next read at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_see_committed_writes_at_once() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let reads = &app.state.reads;
    for i in 0..20 {
        let email = format!("seen{i}@example.com");
        app.register(&email, &format!("seen{i}")).await;
        let found = reads
            .all(user::Entity::find().filter(user::Column::Email.eq(email.as_str())))
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{email}");
    }
}

/// On PostgreSQL the same calls go through sea-orm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reads_go_through_sea_orm() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    assert!(!app.state.reads.is_direct());
    app.register("pg@example.com", "pgreads").await;
    let got = app.state.reads.all(user::Entity::find()).await.unwrap();
    assert_eq!(got, user::Entity::find().all(&app.state.db).await.unwrap());
}

/// After ANALYZE the planner keeps `sqlite_stat1` but no `sqlite_stat4`
/// samples, so cached statements are not planned again per bound value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimize_keeps_row_estimates_and_drops_samples() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    vitrine::demo::seed(&app.state, 7, 4, 4).await.unwrap();
    app.state.db.execute_unprepared("ANALYZE").await.unwrap();
    let count = |table: &'static str| {
        let db = app.state.db.clone();
        async move {
            db.query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
        }
    };
    assert!(
        count("sqlite_stat4").await > 0,
        "the bundled SQLite samples"
    );
    vitrine::db::optimize(&app.state.db, true).await;
    assert_eq!(count("sqlite_stat4").await, 0);
    assert!(count("sqlite_stat1").await > 0);
}
