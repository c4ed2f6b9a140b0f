//! Home and living categories (`06home`: furniture, lighting, decor,
//! textiles): the shop sells what the interior community's designs show,
//! and visual shopping (COMM-8) suggests it.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    Code,
    Name,
    NameKo,
    ParentId,
    Path,
    Depth,
    Position,
}

const ROOT: (&str, &str, &str) = ("06home", "Home & Living", "홈·리빙");
const CHILDREN: &[(&str, &str, &str)] = &[
    ("06home_01furniture", "Furniture", "가구"),
    ("06home_02lighting", "Lighting", "조명"),
    ("06home_03decor", "Decor", "소품"),
    ("06home_04textile", "Textiles", "패브릭"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // After every existing category.
        let last = manager
            .get_connection()
            .query_one(
                &Query::select()
                    .expr_as(Expr::col(Categories::Position).max(), Alias::new("last"))
                    .from(Categories::Table)
                    .to_owned(),
            )
            .await?
            .and_then(|row| row.try_get::<Option<i32>>("", "last").ok().flatten())
            .unwrap_or(0);
        let (code, name, name_ko) = ROOT;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Categories::Table)
                    .columns([
                        Categories::Code,
                        Categories::Name,
                        Categories::NameKo,
                        Categories::Path,
                        Categories::Depth,
                        Categories::Position,
                    ])
                    .values_panic([
                        code.into(),
                        name.into(),
                        name_ko.into(),
                        format!("/{code}/").into(),
                        0.into(),
                        (last + 1).into(),
                    ])
                    .to_owned(),
            )
            .await?;
        for (n, (child, child_name, child_ko)) in CHILDREN.iter().enumerate() {
            let parent = Query::select()
                .column(Categories::Id)
                .from(Categories::Table)
                .and_where(Expr::col(Categories::Code).eq(code))
                .to_owned();
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(Categories::Table)
                        .columns([
                            Categories::Code,
                            Categories::Name,
                            Categories::NameKo,
                            Categories::ParentId,
                            Categories::Path,
                            Categories::Depth,
                            Categories::Position,
                        ])
                        .values_panic([
                            (*child).into(),
                            (*child_name).into(),
                            (*child_ko).into(),
                            SimpleExpr::SubQuery(None, Box::new(parent.into_sub_query_statement())),
                            format!("/{code}/{child}/").into(),
                            1.into(),
                            (last + 2 + n as i32).into(),
                        ])
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first (their parent is referenced).
        for depth in [1, 0] {
            manager
                .exec_stmt(
                    Query::delete()
                        .from_table(Categories::Table)
                        .and_where(Expr::col(Categories::Path).like(format!("/{}/%", ROOT.0)))
                        .and_where(Expr::col(Categories::Depth).eq(depth))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
