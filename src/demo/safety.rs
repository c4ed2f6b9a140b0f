//! The demo's community-safety data (issue 22): one report an admin has
//! resolved (the spam post hidden, the reporter told the outcome) and one
//! waiting in the moderation queue, so a newcomer sees both on `make demo`.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::fail;
use crate::{
    domain::moderation::{self, NewReport},
    entities::{
        post,
        report::{ReportAction, ReportReason, ReportTarget},
        user,
    },
    state::AppState,
};

/// Files two reports on community posts by the first shoppers; resolves
/// the first. How many reports it filed.
pub async fn reports(
    state: &AppState,
    admin: &user::Model,
    shoppers: &[user::Model],
) -> anyhow::Result<usize> {
    let db = &state.db;
    let mut filed = 0;
    for (n, reporter) in shoppers.iter().take(2).enumerate() {
        let Some(target) = post::Entity::find()
            .filter(post::Column::AuthorId.ne(reporter.id))
            .filter(post::Column::DeletedAt.is_null())
            .order_by_asc(post::Column::Id)
            .offset(n as u64)
            .one(db)
            .await?
        else {
            break;
        };
        let report = moderation::report_content(
            db,
            reporter,
            NewReport {
                target: ReportTarget::Post,
                target_id: target.id,
                reason: if n == 0 {
                    ReportReason::Spam
                } else {
                    ReportReason::Other
                },
                note: Some(if n == 0 {
                    "같은 링크를 여러 번 올려요".into()
                } else {
                    "출처 표기가 없는 사진 같아요".into()
                }),
            },
        )
        .await
        .map_err(fail)?;
        filed += 1;
        if n == 0 {
            moderation::resolve(
                db,
                &state.events,
                admin,
                report.id,
                ReportAction::HideContent,
                Some("광고성 게시물로 확인되어 숨겼습니다"),
            )
            .await
            .map_err(fail)?;
        }
    }
    Ok(filed)
}
