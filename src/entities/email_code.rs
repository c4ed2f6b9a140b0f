//! `email_codes`: one-time codes mailed to an address (AUTH-5): stored as a
//! hash, valid 10 minutes, void after 5 wrong attempts.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Normalised address.
    pub email: String,
    /// `VERIFY_EMAIL` or `PASSWORD_RESET`.
    pub purpose: String,
    /// SHA-256 (hex) of the address, purpose and code.
    pub code_hash: String,
    /// Wrong guesses so far.
    pub attempts: i32,
    pub expires_at: DateTimeUtc,
    /// Used (verified) or voided (too many attempts, superseded).
    pub consumed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
