//! `sessions`: one per login, bound to a device (AUTH-7). A session is also the
//! refresh-token family of AUTH-3: revoking it kills every token it issued.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub device_id: String,
    pub device_type: DeviceType,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    /// When the newest refresh token of the family expires.
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<RevokedReason>,
    /// SHA-256 of device id, user-agent family and network (hex).
    pub fingerprint: Option<String>,
    /// "Chrome/Windows", "vitrine-ios/iOS", …: what a refresh must match.
    pub ua_family: Option<String>,
    /// The sign-in's network: an IPv4 /24 or IPv6 /48 prefix.
    pub network: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeviceType {
    #[sea_orm(string_value = "MOBILE")]
    Mobile,
    #[sea_orm(string_value = "WEB")]
    Web,
    #[sea_orm(string_value = "TABLET")]
    Tablet,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum RevokedReason {
    #[sea_orm(string_value = "LOGOUT")]
    Logout,
    #[sea_orm(string_value = "REVOKED_BY_USER")]
    RevokedByUser,
    #[sea_orm(string_value = "TOKEN_REUSED")]
    TokenReused,
    #[sea_orm(string_value = "KICKED")]
    Kicked,
    #[sea_orm(string_value = "ACCOUNT_DELETED")]
    AccountDeleted,
    #[sea_orm(string_value = "PASSWORD_CHANGED")]
    PasswordChanged,
    /// A refresh came from another device or browser than the sign-in.
    #[sea_orm(string_value = "FINGERPRINT_CHANGED")]
    FingerprintChanged,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    #[sea_orm(has_many = "super::refresh_token::Entity")]
    RefreshToken,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::refresh_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RefreshToken.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
