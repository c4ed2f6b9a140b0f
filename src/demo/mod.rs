//! `vitrine seed-demo`: a believable shop in the embedded database, built
//! through the same domain functions the API uses (so every counter and rule
//! holds): an admin, approved stores, a few hundred products across the
//! taxonomy with attributes and shorts, buyers with wishlists, carts, custom
//! carts, orders in every status and reviews of delivered ones, and a home
//! and living store whose furniture visual shopping finds ([`home`]).
//! Deterministic for a given seed; refuses to run twice on the same database.
mod home;
mod safety;
mod shop;

use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    auth::sessions::{DeviceInfo, Registration, register},
    domain::{
        accounts::create_or_promote_admin,
        commerce::{
            carts,
            catalog::{self, COLORS, Fiber, ProductFields},
            custom_carts::{self, CartRef},
            inquiries, orders, reviews, shorts,
            stores::{self, Decision, StoreApplication},
        },
    },
    entities::{
        category,
        custom_cart::Visibility,
        order::OrderStatus,
        product::{Degree, ProductGender},
        short::ShortSource,
        user,
    },
    error::AppError,
    state::AppState,
};

/// The code of the home and living categories (migration 000018).
const HOME_CATEGORY: &str = "06home";
pub const ADMIN_EMAIL: &str = "admin@demo.vitrine.dev";
pub const ADMIN_PASSWORD: &str = "vitrine-demo-admin";
pub const USER_PASSWORD: &str = "vitrine-demo-pass";

const STORES: &[(&str, &str)] = &[
    (
        "Maison Kim",
        "서울 성수동의 테일러링 하우스. 코트와 재킷을 만듭니다.",
    ),
    ("Hanok Knit", "전통 한옥에서 영감을 받은 니트웨어."),
    ("Seoul Denim Co.", "Raw selvedge denim cut in Seoul."),
    ("Jeju Linen", "제주 바람을 닮은 리넨과 코튼 셔츠."),
    ("Urban Stride", "Sneakers and loafers for city walking."),
    ("Moonlight Atelier", "드레스와 원피스, 특별한 날을 위한 옷."),
];

const ADJECTIVES: &[&str] = &[
    "오버핏",
    "슬림핏",
    "베이직",
    "프리미엄",
    "빈티지",
    "미니멀",
    "클래식",
    "데일리",
    "Relaxed",
    "Cropped",
];
const FABRICS: &[&str] = &[
    "울 블렌드",
    "캐시미어",
    "코튼",
    "린넨",
    "데님",
    "나일론",
    "폴리",
    "실크",
];
const FIBERS: &[&str] = &[
    "Cotton",
    "Wool",
    "Polyester",
    "Nylon",
    "Silk",
    "Hemp",
    "Viscose rayon",
    "Polyurethane",
];
const TAGS: &[&str] = &[
    "casual",
    "formal",
    "office",
    "weekend",
    "layering",
    "water-repellent",
    "oversized",
    "limited",
    "handmade",
    "eco",
    "sporty",
    "minimal",
    "vintage",
    "travel",
];
const SHORT_TITLES: &[&str] = &[
    "정말 예쁜 데일리룩 코디 추천",
    "출근룩으로 완벽해요, 너무 편해요",
    "Styling it three ways — love this",
    "솔직 후기: 색감이 별로였어요",
    "신상 입고 안내",
    "Perfect fit, so comfortable",
    "겨울 필수템 따뜻하고 고급스러워요",
    "Not great after washing, disappointed",
];
const REVIEW_TEXTS: &[(i32, &str)] = &[
    (5, "핏이 정말 예쁘고 배송도 빨랐어요. 강추합니다!"),
    (5, "Love it, the fabric feels premium."),
    (4, "전체적으로 만족해요. 사이즈는 한 치수 크게 가세요."),
    (4, "Good quality for the price."),
    (3, "무난해요. 색이 사진보다 조금 어두워요."),
    (2, "생각보다 얇아서 아쉬워요."),
    (1, "Disappointed, the seams came apart."),
];

/// What was created.
#[derive(Debug, Default)]
pub struct Summary {
    pub stores: usize,
    pub products: usize,
    pub shorts: usize,
    pub buyers: usize,
    pub orders: usize,
    pub reviews: usize,
    pub custom_carts: usize,
    pub creators: usize,
    pub designs: usize,
    pub posts: usize,
    pub comments: usize,
    pub likes: usize,
    pub follows: usize,
    pub messages: usize,
    pub coupons: usize,
    pub reports: usize,
}

/// Applies for a store as `seller`, approves it as `admin`: the store and
/// the seller as approval left them (now a SELLER).
async fn open_store(
    state: &AppState,
    admin: &user::Model,
    seller: user::Model,
    application: StoreApplication,
    summary: &mut Summary,
) -> anyhow::Result<(crate::entities::store::Model, user::Model)> {
    let db = &state.db;
    let store = stores::apply(db, &state.events, &seller, application)
        .await
        .map_err(fail)?;
    stores::review(db, &state.events, admin, store.id, Decision::Approve, None)
        .await
        .map_err(fail)?;
    let seller = user::Entity::find_by_id(seller.id)
        .one(db)
        .await?
        .unwrap_or(seller);
    summary.stores += 1;
    Ok((store, seller))
}

fn fail(e: AppError) -> anyhow::Error {
    e.into_anyhow()
}

/// A progress bar in the style of every long-running command.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Whether this database already holds the demo.
pub async fn is_seeded(db: &sea_orm::DatabaseConnection) -> anyhow::Result<bool> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(ADMIN_EMAIL))
        .count(db)
        .await?
        > 0)
}

pub async fn seed(
    state: &AppState,
    seed: u64,
    products_per_store: usize,
    buyers: usize,
) -> anyhow::Result<Summary> {
    let db = &state.db;
    if is_seeded(db).await? {
        anyhow::bail!("this database already holds the demo (found {ADMIN_EMAIL})");
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut summary = Summary::default();
    create_or_promote_admin(db, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .map_err(fail)?;
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq(ADMIN_EMAIL))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("admin vanished"))?;
    let svc = state.auth_services();
    let signup = |email: String, nickname: String| {
        let svc = &svc;
        async move {
            register(
                svc,
                Registration::unverified(email, USER_PASSWORD.into(), nickname),
                DeviceInfo::default(),
            )
            .await
            .map(|t| t.user)
            .map_err(fail)
        }
    };

    let leaves: Vec<category::Model> = {
        let all = catalog::categories(db).await.map_err(fail)?;
        // Clothing only: the home store has its own products.
        all.iter()
            .filter(|c| !all.iter().any(|o| o.parent_id == Some(c.id)))
            .filter(|c| !c.code.starts_with(HOME_CATEGORY))
            .cloned()
            .collect()
    };

    // Stores and their products.
    let pb = bar((STORES.len() * products_per_store) as u64, "products");
    let mut products = Vec::new();
    for (i, (name, description)) in STORES.iter().enumerate() {
        let seller = signup(
            format!("seller{}@demo.vitrine.dev", i + 1),
            format!("{name} 매니저"),
        )
        .await?;
        let application = StoreApplication {
            name: (*name).into(),
            license_number: format!("{:03}-{:02}-{:05}", 100 + i, 10 + i, 20000 + i * 7),
            description: (*description).into(),
        };
        let (store, seller) = open_store(state, &admin, seller, application, &mut summary).await?;
        // 3,000원 shipping, free from 50,000원 (the common Korean terms).
        crate::domain::commerce::pricing::set_store_shipping(db, &seller, 3_000, Some(50_000))
            .await
            .map_err(fail)?;
        if i == 0 {
            let made = shop::coupons(db, &admin, &seller).await.map_err(fail)?;
            summary.coupons += made.len();
        }
        for n in 0..products_per_store {
            let cat = leaves
                .choose(&mut rng)
                .ok_or_else(|| anyhow::anyhow!("no categories"))?;
            let color = *COLORS.choose(&mut rng).unwrap_or(&"Black");
            let name = format!(
                "{} {} {} {}",
                color,
                ADJECTIVES.choose(&mut rng).unwrap_or(&""),
                FABRICS.choose(&mut rng).unwrap_or(&""),
                cat.name_ko
            );
            let main_fiber = rng.random_range(50..=100);
            let mut fibers = vec![Fiber {
                fiber: (*FIBERS.choose(&mut rng).unwrap_or(&"Cotton")).into(),
                percent: main_fiber,
            }];
            if main_fiber < 100 {
                fibers.push(Fiber {
                    fiber: "Polyurethane".into(),
                    percent: 100 - main_fiber,
                });
            }
            let seasons = match cat.code.as_str() {
                c if c.starts_with("01outer") => {
                    vec!["WINTER".to_owned(), "SPRING_FALL".to_owned()]
                }
                c if c.contains("shorts") || c.contains("tshirt") => vec!["SUMMER".to_owned()],
                _ => vec!["SPRING_FALL".to_owned()],
            };
            let options = if cat.code == "05shoes" {
                vec!["240", "250", "260", "270", "280"]
            } else {
                vec!["S", "M", "L", "XL"]
            };
            let tags: Vec<String> = TAGS
                .choose_multiple(&mut rng, 3)
                .map(|t| (*t).to_owned())
                .collect();
            let fields = ProductFields {
                name: Some(name),
                description: Some(format!(
                    "{description} — {} / {}",
                    tags.join(", "),
                    cat.name
                )),
                price: Some(rng.random_range(19..=390) * 1000),
                stock: Some(rng.random_range(5..=80)),
                category_id: Some(cat.id),
                gender: Some(
                    *[
                        ProductGender::Male,
                        ProductGender::Female,
                        ProductGender::Unisex,
                    ]
                    .choose(&mut rng)
                    .unwrap_or(&ProductGender::Unisex),
                ),
                colors: Some(vec![color.to_owned()]),
                seasons: Some(seasons),
                fiber_composition: Some(fibers),
                elasticity: Some(
                    *[Degree::None, Degree::ContainLittle, Degree::Contain]
                        .choose(&mut rng)
                        .unwrap_or(&Degree::None),
                ),
                transparency: Some(
                    *[Degree::NoneAtAll, Degree::None, Degree::ContainLittle]
                        .choose(&mut rng)
                        .unwrap_or(&Degree::None),
                ),
                fleece: Some(rng.random_bool(0.2)),
                spec_tags: Some(tags),
                options: Some(options.into_iter().map(str::to_owned).collect()),
                images: Some(vec![
                    format!("https://images.demo.vitrine.dev/p/{}-{n}-1.jpg", store.id),
                    format!("https://images.demo.vitrine.dev/p/{}-{n}-2.jpg", store.id),
                ]),
                image_upload_ids: None,
                variants: None,
            };
            let product = catalog::create_product(db, &state.events, &state.jobs, &seller, fields)
                .await
                .map_err(fail)?;
            for s in 0..rng.random_range(1..=2) {
                let title = *SHORT_TITLES.choose(&mut rng).unwrap_or(&"신상 입고 안내");
                shorts::add(
                    db,
                    &state.events,
                    state.sentiment.as_ref(),
                    seller.id,
                    product.id,
                    shorts::NewShort {
                        title: title.into(),
                        description: String::new(),
                        video_url: format!(
                            "https://videos.demo.vitrine.dev/s/{}-{s}.mp4",
                            product.id
                        ),
                        thumbnail_url: Some(format!(
                            "https://images.demo.vitrine.dev/s/{}-{s}.jpg",
                            product.id
                        )),
                        thumbnail_upload_id: None,
                        duration_secs: rng.random_range(8..=60),
                        source: *[
                            ShortSource::Upload,
                            ShortSource::Instagram,
                            ShortSource::Youtube,
                        ]
                        .choose(&mut rng)
                        .unwrap_or(&ShortSource::Upload),
                    },
                )
                .await
                .map_err(fail)?;
                summary.shorts += 1;
            }
            products.push(product);
            summary.products += 1;
            pb.inc(1);
        }
    }
    pb.finish();
    let home_seller = signup(
        "home@demo.vitrine.dev".into(),
        format!("{} 매니저", "Seongsu Living"),
    )
    .await?;
    products
        .extend(home::seed(state, &admin, home_seller, products_per_store, &mut summary).await?);

    // Buyers and what they do.
    let mut reviewed = std::collections::HashSet::new();
    let mut shoppers = Vec::with_capacity(buyers);
    let pb = bar(buyers as u64, "buyers");
    for b in 0..buyers {
        let buyer = signup(
            format!("buyer{:02}@demo.vitrine.dev", b + 1),
            format!("쇼퍼{:02}", b + 1),
        )
        .await?;
        summary.buyers += 1;
        for p in products.choose_multiple(&mut rng, 4) {
            carts::add_to_wishlist(db, buyer.id, p.id)
                .await
                .map_err(fail)?;
            // Home products have no shorts.
            let short = shorts::of_product(db, p.id, &Default::default(), None, 1)
                .await
                .map_err(fail)?;
            if let (true, Some(short)) = (rng.random_bool(0.3), short.first()) {
                shorts::record_view(db, Some(buyer.id), short.id)
                    .await
                    .map_err(fail)?;
            }
        }
        let address = shop::address_book(db, &buyer, b).await.map_err(fail)?;
        // A couple of orders each, advanced to various stages.
        for o in 0..rng.random_range(1..=3) {
            let how_many = rng.random_range(1..=2);
            let picks: Vec<_> = products
                .choose_multiple(&mut rng, how_many)
                .cloned()
                .collect();
            let lines = picks
                .iter()
                .map(|p| orders::RequestedLine {
                    product_id: p.id,
                    option: catalog::json_list::<String>(&p.options)
                        .first()
                        .cloned()
                        .unwrap_or_default(),
                    quantity: 1,
                })
                .collect();
            let placed = orders::place(
                db,
                &state.events,
                &buyer,
                orders::OrderFrom::Lines(lines),
                orders::Delivery {
                    to: orders::ShipTo::Saved(address.id),
                    memo: "부재 시 문 앞".into(),
                    // Each buyer's first order redeems the welcome coupon.
                    coupon: (o == 0).then(|| shop::WELCOME_COUPON.into()),
                },
                &format!("demo-order-{b:03}-{o}"),
            )
            .await;
            let Ok(placed) = placed else { continue };
            summary.orders += 1;
            let stage = rng.random_range(0..=4);
            let order_lines = orders::lines_of(db, &[placed.id]).await.map_err(fail)?;
            for line in order_lines.get(&placed.id).cloned().unwrap_or_default() {
                // Fulfilment as the platform admin (any line's seller could too).
                for status in [
                    OrderStatus::Paid,
                    OrderStatus::Shipped,
                    OrderStatus::Delivered,
                ]
                .iter()
                .take(stage.min(3))
                {
                    let shipment =
                        (*status == OrderStatus::Shipped).then(|| shop::shipment(line.id));
                    orders::advance_line(db, &state.events, &admin, line.id, *status, shipment)
                        .await
                        .map_err(fail)?;
                }
                if stage >= 3
                    && rng.random_bool(0.8)
                    && reviewed.insert((buyer.id, line.product_id))
                {
                    let (rating, text) = *REVIEW_TEXTS.choose(&mut rng).unwrap_or(&(5, "좋아요"));
                    reviews::create(
                        db,
                        &state.events,
                        buyer.id,
                        line.product_id,
                        reviews::NewReview {
                            rating,
                            body: text.into(),
                            images: vec![],
                            photo_upload_ids: vec![],
                        },
                    )
                    .await
                    .map_err(fail)?;
                    summary.reviews += 1;
                }
            }
            if stage == 4 {
                // Stage 4: cancelled right away instead.
                let _ = orders::cancel(db, &state.events, &state.jobs, &buyer, placed.id).await;
            }
        }
        // Something left in the cart.
        if let Some(p) = products.choose(&mut rng) {
            let option = catalog::json_list::<String>(&p.options).first().cloned();
            let _ = carts::add_to_cart(db, buyer.id, p.id, option.as_deref(), 1).await;
        }
        // Every fourth buyer curates a custom cart.
        if b % 4 == 0 {
            let visibility = [
                Visibility::Public,
                Visibility::Unlisted,
                Visibility::Private,
            ][b / 4 % 3];
            let cart = custom_carts::create(
                db,
                buyer.id,
                &format!("{}의 데일리 코디", buyer.nickname),
                Some("자주 입는 조합"),
                visibility,
            )
            .await
            .map_err(fail)?;
            for p in products.choose_multiple(&mut rng, 3) {
                // The second option (size M), or the only one.
                let options = catalog::json_list::<String>(&p.options);
                let option = options.get(1).or(options.first()).cloned();
                let item = custom_carts::NewItem {
                    product_id: p.id,
                    option: option.as_deref(),
                    quantity: 1,
                    note: Some("같이 입으면 예뻐요"),
                };
                custom_carts::add_item(db, buyer.id, cart.id, item)
                    .await
                    .map_err(fail)?;
            }
            summary.custom_carts += 1;
            if b > 0 {
                let _ = custom_carts::copy_to_cart(db, &buyer, &CartRef::Id(cart.id)).await;
            }
        }
        if b % 5 == 0
            && let Some(p) = products.choose(&mut rng)
        {
            let inquiry = inquiries::ask(
                db,
                &buyer,
                p.store_id,
                Some(p.id),
                "사이즈 문의",
                "평소 M 입는데 어떤 사이즈가 맞을까요?",
            )
            .await
            .map_err(fail)?;
            if b % 10 == 0 {
                inquiries::answer(
                    db,
                    &state.events,
                    &admin,
                    inquiry.id,
                    "정사이즈로 추천드립니다.",
                )
                .await
                .map_err(fail)?;
            }
        }
        pb.inc(1);
        shoppers.push(buyer);
    }
    pb.finish();
    community(state, &mut rng, &mut summary, &shoppers).await?;
    summary.reports += safety::reports(state, &admin, &shoppers).await?;
    tracing::info!(?summary, at = %Utc::now(), "demo data seeded");
    Ok(summary)
}

const CREATORS: &[&str] = &[
    "하우스오브민",
    "Oak & Linen",
    "작은집연구소",
    "Loft Notes",
    "빛드는방",
    "Nordic Nest",
    "모던살림",
    "Kyoto Corner",
];
const POST_TEXTS: &[&str] = &[
    "주말 동안 거실을 새로 꾸며봤어요. 조명이 포인트!",
    "Finally finished the bedroom. Linen everywhere.",
    "작은 원룸도 수납만 잘하면 넓어 보여요",
    "Before/after of our tiny kitchen",
    "식물 하나로 분위기가 이렇게 바뀌네요",
    "Warm wood + white walls = calm",
    "아이 방 정리 팁 공유합니다",
    "Our balcony reading nook",
];
const COMMENT_TEXTS: &[&str] = &[
    "너무 예뻐요!",
    "조명 어디 제품인가요?",
    "Love the palette",
    "저도 따라 해볼래요",
    "So cozy",
    "소파 정보 알 수 있을까요?",
];

/// The community half of the demo: creators with designs across styles and
/// room types, posts, follows, likes and comments (with replies).
async fn community(
    state: &AppState,
    rng: &mut StdRng,
    summary: &mut Summary,
    shoppers: &[user::Model],
) -> anyhow::Result<()> {
    use crate::domain::{
        community::{self, designs, posts, social},
        uploads as media,
    };
    use crate::entities::{design::DesignVisibility, like::LikeTarget};
    let db = &state.db;
    let png = demo_png();
    let pb = bar(CREATORS.len() as u64, "community");
    let svc = state.auth_services();
    let mut creators = Vec::new();
    let mut post_ids = Vec::new();
    let mut design_ids = Vec::new();
    for (i, name) in CREATORS.iter().enumerate() {
        let creator = register(
            &svc,
            Registration::unverified(
                format!("creator{}@demo.vitrine.dev", i + 1),
                USER_PASSWORD.into(),
                (*name).into(),
            ),
            DeviceInfo::default(),
        )
        .await
        .map_err(fail)?
        .user;
        summary.creators += 1;
        for d in 0..4 {
            let style = community::STYLES[(i + d) % community::STYLES.len()];
            let room = *community::ROOM_TYPES.choose(rng).unwrap_or(&"LIVING_ROOM");
            let image =
                media::check_image("sourceImage", png.clone(), state.config.upload_max_bytes)
                    .map_err(fail)?;
            let design = designs::create(
                db,
                &state.events,
                state.storage.as_ref(),
                &state.jobs,
                &creator,
                designs::NewDesign {
                    title: format!(
                        "{} {}",
                        style.to_lowercase(),
                        room.to_lowercase().replace('_', " ")
                    ),
                    prompt: format!(
                        "A {} {} with natural light",
                        style.to_lowercase(),
                        room.to_lowercase().replace('_', " ")
                    ),
                    style: style.into(),
                    room_type: room.into(),
                    visibility: if d == 3 {
                        DesignVisibility::Private
                    } else {
                        DesignVisibility::Public
                    },
                },
                image,
            )
            .await
            .map_err(fail)?;
            summary.designs += 1;
            if d < 3 {
                design_ids.push(design.id);
                let text = *POST_TEXTS.choose(rng).unwrap_or(&"새 방");
                let p = posts::create(
                    db,
                    &state.events,
                    state.storage.as_ref(),
                    &state.jobs,
                    &creator,
                    posts::NewPost {
                        body: text,
                        design_id: Some(design.id),
                        images: posts::PostImages::default(),
                    },
                )
                .await
                .map_err(fail)?;
                post_ids.push(p.id);
                summary.posts += 1;
            }
        }
        creators.push(creator);
        pb.inc(1);
    }
    pb.finish();
    // Creators follow each other; shoppers follow a few creators.
    for (i, c) in creators.iter().enumerate() {
        for other in creators.iter().skip(i + 1).take(3) {
            social::follow(db, &state.events, c, other.id)
                .await
                .map_err(fail)?;
            summary.follows += 1;
        }
    }
    for s in shoppers {
        for c in creators.choose_multiple(rng, 3) {
            social::follow(db, &state.events, s, c.id)
                .await
                .map_err(fail)?;
            summary.follows += 1;
        }
        for p in post_ids.choose_multiple(rng, 4) {
            social::like(db, &state.events, s, LikeTarget::Post, *p)
                .await
                .map_err(fail)?;
            summary.likes += 1;
        }
        for d in design_ids.choose_multiple(rng, 2) {
            social::like(db, &state.events, s, LikeTarget::Design, *d)
                .await
                .map_err(fail)?;
            summary.likes += 1;
        }
        if rng.random_bool(0.4)
            && let Some(p) = post_ids.choose(rng)
        {
            let text = *COMMENT_TEXTS.choose(rng).unwrap_or(&"좋아요");
            let c = posts::add_comment(db, &state.events, s, *p, None, text)
                .await
                .map_err(fail)?;
            summary.comments += 1;
            let author = crate::entities::post::Entity::find_by_id(*p)
                .one(db)
                .await?
                .map(|p| p.author_id);
            if let Some(creator) = creators.iter().find(|c| Some(c.id) == author) {
                posts::add_comment(db, &state.events, creator, *p, Some(c.id), "감사합니다 :)")
                    .await
                    .map_err(fail)?;
                summary.comments += 1;
            }
        }
    }
    // A few shoppers ask creators about their rooms in direct messages.
    use crate::domain::realtime::chat;
    for (s, c) in shoppers.iter().take(6).zip(creators.iter().cycle()) {
        let conversation = chat::start(
            db,
            s,
            chat::StartConversation {
                kind: crate::entities::conversation::ConversationKind::Direct,
                member_ids: vec![c.id],
                title: None,
                inquiry_id: None,
            },
        )
        .await
        .map_err(fail)?;
        for (from, text) in [
            (s, "안녕하세요! 거실 소파 어디 제품인가요?"),
            (
                c,
                "안녕하세요 :) 북유럽 브랜드 제품이에요. Scandinavian style!",
            ),
            (s, "감사합니다, thanks!"),
        ] {
            chat::send_message(db, &state.events, from, conversation.id, text)
                .await
                .map_err(fail)?;
        }
        summary.messages += 3;
    }
    Ok(())
}

/// A valid 1×1 PNG for the demo's room photos.
fn demo_png() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .unwrap_or_default()
}
