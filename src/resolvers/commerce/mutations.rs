//! The shop's mutations: stores, products, shorts, reviews, carts, custom
//! carts, wishlists, orders and inquiries. Thin: each reads the viewer and
//! its input, calls the domain, and maps the answer.
use super::*;

#[derive(Default)]
pub struct CommerceMutation;

#[Object]
impl CommerceMutation {
    /// Applies for a store (or re-applies after a rejection).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn apply_for_store(&self, ctx: &Context<'_>, input: ApplyForStoreInput) -> Result<Store> {
        let me = viewer(ctx).await?;
        let application = StoreApplication {
            name: input.name,
            license_number: input.license_number,
            description: input.description,
        };
        Ok(Store(
            stores::apply(&state(ctx).db, &state(ctx).events, &me.user, application).await?,
        ))
    }

    /// Approves (granting SELLER) or rejects, with a reason, a pending store.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn review_store(
        &self,
        ctx: &Context<'_>,
        id: ID,
        decision: StoreDecision,
        reason: Option<String>,
    ) -> Result<Store> {
        let id = decode_id("Store", "id", &id)?;
        let me = viewer(ctx).await?;
        let decision = match decision {
            StoreDecision::Approve => Decision::Approve,
            StoreDecision::Reject => Decision::Reject,
        };
        let s = state(ctx);
        Ok(Store(
            stores::review(&s.db, &s.events, &me.user, id, decision, reason.as_deref()).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> Result<Product> {
        let me = viewer(ctx).await?;
        let fields = ProductFields {
            name: Some(input.name),
            description: Some(input.description),
            price: Some(input.price),
            stock: input.stock,
            category_id: Some(decode_id("Category", "categoryId", &input.category_id)?),
            gender: Some(input.gender.into()),
            colors: Some(input.colors),
            seasons: Some(seasons(input.seasons)),
            fiber_composition: Some(fibers(input.fiber_composition)),
            elasticity: input.elasticity.map(Into::into),
            transparency: input.transparency.map(Into::into),
            fleece: Some(input.fleece),
            spec_tags: Some(input.spec_tags),
            options: (input.variants.is_none() || !input.options.is_empty())
                .then_some(input.options),
            images: Some(input.images),
            image_upload_ids: Some(ids(input.image_upload_ids)),
            variants: input
                .variants
                .map(|v| v.into_iter().map(Into::into).collect()),
        };
        let s = state(ctx);
        Ok(Product(
            catalog::create_product(&s.db, &s.events, &s.jobs, &me.user, fields).await?,
        ))
    }

    /// Changes the given fields; only the seller who owns the product.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> Result<Product> {
        let id = decode_id("Product", "id", &id)?;
        let me = viewer(ctx).await?;
        let fields = ProductFields {
            name: input.name,
            description: input.description,
            price: input.price,
            stock: input.stock,
            category_id: input
                .category_id
                .as_ref()
                .map(|c| decode_id("Category", "categoryId", c))
                .transpose()?,
            gender: input.gender.map(Into::into),
            colors: input.colors,
            seasons: input.seasons.map(seasons),
            fiber_composition: input.fiber_composition.map(fibers),
            elasticity: input.elasticity.map(Into::into),
            transparency: input.transparency.map(Into::into),
            fleece: input.fleece,
            spec_tags: input.spec_tags,
            options: input.options,
            images: input.images,
            image_upload_ids: input.image_upload_ids.map(ids),
            variants: None,
        };
        let s = state(ctx);
        Ok(Product(
            catalog::update_product(&s.db, &s.events, &s.jobs, &me.user, id, fields).await?,
        ))
    }

    /// Sellers: ACTIVE or HIDDEN for their own products. Admins: also BLOCKED, any product.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn set_product_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: ProductStatus,
    ) -> Result<Product> {
        let id = decode_id("Product", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(Product(
            catalog::set_status(&s.db, &s.events, &me.user, id, status.into()).await?,
        ))
    }

    /// Adds a short to one of the seller's products; its sentiment is labelled now.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn add_short(&self, ctx: &Context<'_>, input: AddShortInput) -> Result<Short> {
        let product_id = decode_id("Product", "productId", &input.product_id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let new = shorts::NewShort {
            title: input.title,
            description: input.description,
            video_url: input.video_url,
            thumbnail_url: input.thumbnail_url,
            thumbnail_upload_id: input.thumbnail_upload_id.map(|id| id.0),
            duration_secs: input.duration_secs,
            source: input.source.into(),
        };
        Ok(Short(
            shorts::add(
                &s.db,
                &s.events,
                s.sentiment.as_ref(),
                me.id(),
                product_id,
                new,
            )
            .await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn like_short(&self, ctx: &Context<'_>, id: ID) -> Result<Short> {
        let id = decode_id("Short", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        crate::domain::community::social::like(
            &s.db,
            &s.events,
            &me.user,
            crate::entities::like::LikeTarget::Short,
            id,
        )
        .await?;
        Ok(Short(shorts::find(&s.db, id).await?))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn unlike_short(&self, ctx: &Context<'_>, id: ID) -> Result<Short> {
        let id = decode_id("Short", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        crate::domain::community::social::unlike(
            &s.db,
            &s.events,
            &me.user,
            crate::entities::like::LikeTarget::Short,
            id,
        )
        .await?;
        Ok(Short(shorts::find(&s.db, id).await?))
    }

    /// Counts a view (once per viewer per 30 minutes; anonymous views always).
    /// Returns whether this call was counted.
    async fn record_short_view(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = decode_id("Short", "id", &id)?;
        let viewer = optional_viewer(ctx).await?.map(|v| v.id());
        Ok(shorts::record_view(&state(ctx).db, viewer, id).await?)
    }

    /// Reviews a product delivered to the caller (once per product).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_review(&self, ctx: &Context<'_>, input: CreateReviewInput) -> Result<Review> {
        let product_id = decode_id("Product", "productId", &input.product_id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let new = reviews::NewReview {
            rating: input.rating,
            body: input.body,
            images: input.images,
            photo_upload_ids: ids(input.photo_upload_ids),
        };
        Ok(Review(
            reviews::create(&s.db, &s.events, me.id(), product_id, new).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn add_to_wishlist(&self, ctx: &Context<'_>, product_id: ID) -> Result<Product> {
        let product_id = decode_id("Product", "productId", &product_id)?;
        let me = viewer(ctx).await?;
        let db = &state(ctx).db;
        carts::add_to_wishlist(db, me.id(), product_id).await?;
        Ok(Product(carts::active_product(db, product_id).await?))
    }

    /// Returns whether an entry was removed.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_from_wishlist(&self, ctx: &Context<'_>, product_id: ID) -> Result<bool> {
        let product_id = decode_id("Product", "productId", &product_id)?;
        let me = viewer(ctx).await?;
        Ok(carts::remove_from_wishlist(&state(ctx).db, me.id(), product_id).await?)
    }

    /// Adds to the cart (merging with the same product and option); returns the cart.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        option: Option<String>,
        #[graphql(default = 1)] quantity: i32,
    ) -> Result<Cart> {
        let product_id = decode_id("Product", "productId", &product_id)?;
        let me = viewer(ctx).await?;
        carts::add_to_cart(
            &state(ctx).db,
            me.id(),
            product_id,
            option.as_deref(),
            quantity,
        )
        .await?;
        load_cart(ctx, me.id()).await
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_cart_item(&self, ctx: &Context<'_>, id: ID, quantity: i32) -> Result<Cart> {
        let id = decode_id("CartItem", "id", &id)?;
        let me = viewer(ctx).await?;
        carts::update_quantity(&state(ctx).db, me.id(), id, quantity).await?;
        load_cart(ctx, me.id()).await
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_from_cart(&self, ctx: &Context<'_>, id: ID) -> Result<Cart> {
        let id = decode_id("CartItem", "id", &id)?;
        let me = viewer(ctx).await?;
        carts::remove(&state(ctx).db, me.id(), id).await?;
        load_cart(ctx, me.id()).await
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_custom_cart(
        &self,
        ctx: &Context<'_>,
        input: CreateCustomCartInput,
    ) -> Result<CustomCart> {
        let me = viewer(ctx).await?;
        Ok(CustomCart(
            custom_carts::create(
                &state(ctx).db,
                me.id(),
                &input.title,
                input.description.as_deref(),
                input.visibility.into(),
            )
            .await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_custom_cart(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCustomCartInput,
    ) -> Result<CustomCart> {
        let id = decode_id("CustomCart", "id", &id)?;
        let me = viewer(ctx).await?;
        let update = custom_carts::CartUpdate {
            title: input.title,
            description: input.description,
            visibility: input.visibility.map(Into::into),
            regenerate_slug: input.regenerate_share_slug,
        };
        Ok(CustomCart(
            custom_carts::update(&state(ctx).db, me.id(), id, update).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn add_custom_cart_item(
        &self,
        ctx: &Context<'_>,
        input: AddCustomCartItemInput,
    ) -> Result<CustomCart> {
        let cart_id = decode_id("CustomCart", "customCartId", &input.custom_cart_id)?;
        let product_id = decode_id("Product", "productId", &input.product_id)?;
        let me = viewer(ctx).await?;
        let db = &state(ctx).db;
        let item = custom_carts::NewItem {
            product_id,
            option: input.option.as_deref(),
            quantity: input.quantity,
            note: input.note.as_deref(),
        };
        custom_carts::add_item(db, me.id(), cart_id, item).await?;
        let cart = custom_carts::find_readable(db, &CartRef::Id(cart_id), Some(&me.user))
            .await?
            .ok_or_else(|| AppError::not_found("CustomCart"))?;
        Ok(CustomCart(cart))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_custom_cart_item(&self, ctx: &Context<'_>, id: ID) -> Result<CustomCart> {
        let id = decode_id("CustomCartItem", "id", &id)?;
        let me = viewer(ctx).await?;
        Ok(CustomCart(
            custom_carts::remove_item(&state(ctx).db, me.id(), id).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_custom_cart(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = decode_id("CustomCart", "id", &id)?;
        let me = viewer(ctx).await?;
        custom_carts::delete(&state(ctx).db, me.id(), id).await?;
        Ok(true)
    }

    /// Copies every buyable item of a readable custom cart into the caller's cart.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn add_custom_cart_to_cart(
        &self,
        ctx: &Context<'_>,
        by: CustomCartRefInput,
    ) -> Result<AddCustomCartToCartPayload> {
        let by = by.into_domain()?;
        let me = viewer(ctx).await?;
        let outcome = custom_carts::copy_to_cart(&state(ctx).db, &me.user, &by).await?;
        Ok(AddCustomCartToCartPayload {
            cart: load_cart(ctx, me.id()).await?,
            added: outcome.added.len() as i32,
            skipped: outcome
                .skipped
                .iter()
                .map(|(p, r)| SkippedItem::new(*p, r))
                .collect(),
        })
    }

    /// Places an order in one transaction. Retrying with the same
    /// `idempotencyKey` and input returns the same order.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        mut input: PlaceOrderInput,
        idempotency_key: String,
    ) -> Result<Order> {
        let me = viewer(ctx).await?;
        let delivery = input.delivery()?;
        let from = match input.from {
            OrderSourceInput::Cart(true) => orders::OrderFrom::Cart,
            OrderSourceInput::Cart(false) => {
                return Err(AppError::validation(
                    "from",
                    "`cart: true` orders the cart; choose another source otherwise",
                )
                .into());
            }
            OrderSourceInput::CustomCart(by) => orders::OrderFrom::CustomCart(by.into_domain()?),
            OrderSourceInput::Lines(lines) => orders::OrderFrom::Lines(
                lines
                    .into_iter()
                    .map(|l| {
                        Ok(orders::RequestedLine {
                            product_id: decode_id("Product", "productId", &l.product_id)?,
                            option: l.option.unwrap_or_default().trim().to_owned(),
                            quantity: l.quantity,
                        })
                    })
                    .collect::<Result<Vec<_>, AppError>>()?,
            ),
        };
        let s = state(ctx);
        let placed =
            orders::place(&s.db, &s.events, &me.user, from, delivery, &idempotency_key).await?;
        Ok(Order::whole(placed))
    }

    /// Cancels an order that has not shipped; stock is restored.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn cancel_order(&self, ctx: &Context<'_>, id: ID) -> Result<Order> {
        let id = decode_id("Order", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(Order::whole(
            orders::cancel(&s.db, &s.events, &s.jobs, &me.user, id).await?,
        ))
    }

    /// Moves a line one step (PENDING_PAYMENT → PAID → SHIPPED → DELIVERED):
    /// the line's seller or an admin. SHIPPED needs `carrier` and
    /// `trackingNumber`; the buyer then sees them with a tracking link.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn advance_order_line(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: OrderStatus,
        #[graphql(desc = "With SHIPPED: who carries it.")] carrier: Option<Carrier>,
        #[graphql(desc = "With SHIPPED: the carrier's tracking number.")] tracking_number: Option<
            String,
        >,
    ) -> Result<OrderLine> {
        let id = decode_id("OrderLine", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let shipment = match (carrier, tracking_number) {
            (Some(carrier), Some(tracking_number)) => Some(orders::Shipment {
                carrier: carrier.into(),
                tracking_number,
            }),
            (None, None) => None,
            _ => {
                return Err(AppError::validation(
                    "trackingNumber",
                    "give `carrier` and `trackingNumber` together",
                )
                .into());
            }
        };
        Ok(OrderLine(
            orders::advance_line(&s.db, &s.events, &me.user, id, status.into(), shipment).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn ask_inquiry(&self, ctx: &Context<'_>, input: AskInquiryInput) -> Result<Inquiry> {
        let store_id = decode_id("Store", "storeId", &input.store_id)?;
        let product_id = input
            .product_id
            .as_ref()
            .map(|p| decode_id("Product", "productId", p))
            .transpose()?;
        let me = viewer(ctx).await?;
        Ok(Inquiry(
            inquiries::ask(
                &state(ctx).db,
                &me.user,
                store_id,
                product_id,
                &input.subject,
                &input.body,
            )
            .await?,
        ))
    }

    /// The store (or an admin) answers; the buyer is notified.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn answer_inquiry(&self, ctx: &Context<'_>, id: ID, answer: String) -> Result<Inquiry> {
        let id = decode_id("Inquiry", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(Inquiry(
            inquiries::answer(&s.db, &s.events, &me.user, id, &answer).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn close_inquiry(&self, ctx: &Context<'_>, id: ID) -> Result<Inquiry> {
        let id = decode_id("Inquiry", "id", &id)?;
        let me = viewer(ctx).await?;
        Ok(Inquiry(
            inquiries::close(&state(ctx).db, &me.user, id).await?,
        ))
    }
}

/// Upload ids as given (the domain parses and checks them).
fn ids(raw: Vec<ID>) -> Vec<String> {
    raw.into_iter().map(|id| id.0).collect()
}
