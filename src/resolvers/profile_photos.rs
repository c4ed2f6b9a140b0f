//! Profile photos and store logos over GraphQL: thin resolvers over
//! [`crate::domain::profile_photos`]. Reading them is `User.profilePhoto`
//! / `User.profilePhotoUrl` and `Store.logo` / `Store.logoUrl`.
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::{
    accounts::User,
    commerce::types::Store,
    context::{state, viewer},
    relay::decode_id,
};
use crate::{auth::RoleGuard, domain::profile_photos};

#[derive(InputObject)]
pub struct SetProfilePhotoInput {
    /// One of the caller's confirmed uploads (`createUploadUrl` +
    /// `confirmUpload`, or a multipart upload).
    pub upload_id: ID,
}

#[derive(InputObject)]
pub struct SetStoreLogoInput {
    /// The caller's store; omitted: the store they own.
    pub store_id: Option<ID>,
    /// One of the caller's confirmed uploads.
    pub upload_id: ID,
}

#[derive(InputObject, Default)]
pub struct RemoveStoreLogoInput {
    /// The caller's store; omitted: the store they own.
    pub store_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct ProfilePhotoPayload {
    pub user: User,
}

#[derive(SimpleObject)]
pub struct StoreLogoPayload {
    pub store: Store,
}

fn store_id(raw: Option<&ID>) -> Result<Option<i64>> {
    Ok(raw
        .map(|id| decode_id("Store", "storeId", id))
        .transpose()?)
}

#[derive(Default)]
pub struct ProfilePhotosMutation;

#[Object]
impl ProfilePhotosMutation {
    /// Sets or replaces the caller's profile photo.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn set_profile_photo(
        &self,
        ctx: &Context<'_>,
        input: SetProfilePhotoInput,
    ) -> Result<ProfilePhotoPayload> {
        let me = viewer(ctx).await?;
        let user =
            profile_photos::set_profile_photo(&state(ctx).db, &me.user, &input.upload_id).await?;
        Ok(ProfilePhotoPayload {
            user: User::own(user),
        })
    }

    /// Removes the caller's profile photo.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_profile_photo(&self, ctx: &Context<'_>) -> Result<ProfilePhotoPayload> {
        let me = viewer(ctx).await?;
        let user = profile_photos::remove_profile_photo(&state(ctx).db, &me.user).await?;
        Ok(ProfilePhotoPayload {
            user: User::own(user),
        })
    }

    /// Sets or replaces the logo of the caller's store.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn set_store_logo(
        &self,
        ctx: &Context<'_>,
        input: SetStoreLogoInput,
    ) -> Result<StoreLogoPayload> {
        let me = viewer(ctx).await?;
        let store = profile_photos::set_store_logo(
            &state(ctx).db,
            &me.user,
            store_id(input.store_id.as_ref())?,
            &input.upload_id,
        )
        .await?;
        Ok(StoreLogoPayload {
            store: Store(store),
        })
    }

    /// Removes the logo of the caller's store.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_store_logo(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] input: RemoveStoreLogoInput,
    ) -> Result<StoreLogoPayload> {
        let me = viewer(ctx).await?;
        let store = profile_photos::remove_store_logo(
            &state(ctx).db,
            &me.user,
            store_id(input.store_id.as_ref())?,
        )
        .await?;
        Ok(StoreLogoPayload {
            store: Store(store),
        })
    }
}
