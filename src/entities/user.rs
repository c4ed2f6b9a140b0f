//! `users`: accounts shared by both products (AUTH-1, AUTH-4).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Normalised (trimmed, lower-cased); unique.
    pub email: String,
    /// argon2id PHC string; `None` once the account is deleted.
    pub password_hash: Option<String>,
    pub nickname: String,
    pub role: Role,
    pub status: UserStatus,
    pub gender: Option<Gender>,
    pub birth_date: Option<Date>,
    /// Why an admin kicked the account.
    pub status_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub follower_count: i64,
    pub following_count: i64,
    /// `ko` or `en`: the language of the account's mail.
    pub locale: String,
    /// The owner's upload shown as their profile photo.
    pub profile_photo_upload_id: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "BUYER")]
    Buyer,
    #[sea_orm(string_value = "SELLER")]
    Seller,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UserStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Removed by an admin (`kickUser`): cannot log in, tokens rejected.
    #[sea_orm(string_value = "KICKED")]
    Kicked,
    /// Removed by its owner (`deleteMe`): personal data scrubbed.
    #[sea_orm(string_value = "DELETED")]
    Deleted,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Gender {
    #[sea_orm(string_value = "MALE")]
    Male,
    #[sea_orm(string_value = "FEMALE")]
    Female,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
