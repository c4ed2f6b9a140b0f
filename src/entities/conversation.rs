//! `conversations` (RT-5): direct (one per pair, `direct_key`), group, and
//! store-inquiry threads (one per inquiry).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub inquiry_id: Option<i64>,
    /// `"<smaller user id>:<larger user id>"` for DIRECT, so a pair has one.
    pub direct_key: Option<String>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub last_message_id: Option<i64>,
    /// Creation or last message time: the order of `myConversations`.
    pub activity_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ConversationKind {
    #[sea_orm(string_value = "DIRECT")]
    Direct,
    #[sea_orm(string_value = "GROUP")]
    Group,
    #[sea_orm(string_value = "INQUIRY")]
    Inquiry,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
