//! The demo's home-and-living store: the furniture, lighting and decor an
//! interior design shows, named as visual shopping searches for them
//! (`couch` → 소파, `chair` → 의자, `vase` → 꽃병, …), in the colours
//! palettes match.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Summary, fail};
use crate::{
    domain::commerce::{
        catalog::{self, Fiber, ProductFields},
        stores::StoreApplication,
    },
    entities::{category, product, product::ProductGender, user},
    state::AppState,
};

const NAME: &str = "Seongsu Living";
const DESCRIPTION: &str = "성수동 리빙 편집숍. 소파와 조명, 러그와 소품을 고릅니다.";

/// (name, category code, colour, price in KRW, main material).
const PRODUCTS: &[(&str, &str, &str, i64, &str)] = &[
    (
        "베이지 3인용 패브릭 소파",
        "06home_01furniture",
        "Beige",
        890_000,
        "Polyester",
    ),
    (
        "그레이 모듈 소파",
        "06home_01furniture",
        "Gray",
        1_250_000,
        "Polyester",
    ),
    (
        "브라운 가죽 1인 소파",
        "06home_01furniture",
        "Brown",
        690_000,
        "Leather",
    ),
    (
        "화이트 부클레 소파",
        "06home_01furniture",
        "White",
        980_000,
        "Wool",
    ),
    (
        "원목 라운지 의자",
        "06home_01furniture",
        "Brown",
        320_000,
        "Wood",
    ),
    (
        "블랙 철제 다이닝 의자",
        "06home_01furniture",
        "Black",
        89_000,
        "Steel",
    ),
    (
        "오크 원목 식탁 4인",
        "06home_01furniture",
        "Beige",
        540_000,
        "Wood",
    ),
    (
        "월넛 침대 프레임 퀸",
        "06home_01furniture",
        "Brown",
        760_000,
        "Wood",
    ),
    (
        "리넨 플로어 조명",
        "06home_02lighting",
        "Beige",
        149_000,
        "Hemp",
    ),
    (
        "골드 펜던트 조명",
        "06home_02lighting",
        "Gold",
        210_000,
        "Brass",
    ),
    ("세라믹 꽃병", "06home_03decor", "White", 39_000, "Ceramic"),
    ("미니멀 벽시계", "06home_03decor", "Black", 45_000, "Steel"),
    ("테라코타 화분", "06home_03decor", "Orange", 29_000, "Clay"),
    (
        "그레이 울 러그 200x300",
        "06home_04textile",
        "Gray",
        330_000,
        "Wool",
    ),
    (
        "리넨 암막 커튼",
        "06home_04textile",
        "Beige",
        79_000,
        "Hemp",
    ),
    (
        "그린 벨벳 쿠션 커버",
        "06home_04textile",
        "Green",
        25_000,
        "Polyester",
    ),
];

/// Opens the store (approved by `admin`) with up to `count` products.
pub async fn seed(
    state: &AppState,
    admin: &user::Model,
    seller: user::Model,
    count: usize,
    summary: &mut Summary,
) -> anyhow::Result<Vec<product::Model>> {
    let db = &state.db;
    let application = StoreApplication {
        name: NAME.into(),
        license_number: "120-30-40001".into(),
        description: DESCRIPTION.into(),
    };
    let (store, seller) = super::open_store(state, admin, seller, application, summary).await?;
    let mut out = Vec::new();
    for (n, (name, code, color, price, material)) in PRODUCTS.iter().take(count).enumerate() {
        let category = category::Entity::find()
            .filter(category::Column::Code.eq(*code))
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no category {code}"))?;
        let fields = ProductFields {
            name: Some((*name).into()),
            description: Some(format!("{name}: {material}, {NAME}의 리빙 컬렉션.")),
            price: Some(*price),
            stock: Some(10 + (n as i64 * 7) % 30),
            category_id: Some(category.id),
            gender: Some(ProductGender::Unisex),
            colors: Some(vec![(*color).into()]),
            seasons: Some(vec!["SPRING_FALL".into(), "SUMMER".into(), "WINTER".into()]),
            fiber_composition: Some(vec![Fiber {
                fiber: (*material).into(),
                percent: 100,
            }]),
            elasticity: None,
            transparency: None,
            fleece: None,
            spec_tags: Some(vec!["home".into(), "interior".into()]),
            options: Some(vec!["ONE SIZE".into()]),
            images: Some(vec![format!(
                "https://images.demo.vitrine.dev/p/{}-{n}-1.jpg",
                store.id
            )]),
            image_upload_ids: None,
            variants: None,
        };
        let created = catalog::create_product(db, &state.events, &state.jobs, &seller, fields)
            .await
            .map_err(fail)?;
        summary.products += 1;
        out.push(created);
    }
    Ok(out)
}
