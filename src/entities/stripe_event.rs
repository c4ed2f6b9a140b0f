//! `stripe_events`: every provider webhook event applied (PAY-2), by its
//! unique id; recorded in the transaction of its effects, so a redelivery
//! finds it and changes nothing.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The event's `type` (`invoice.payment_succeeded`, …).
    pub kind: String,
    /// The event's `created` (unix seconds).
    pub created: i64,
    /// What applying it did, for operators.
    pub outcome: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
