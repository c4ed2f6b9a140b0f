//! Moving order lines forward (COM-9, issue 22): PAID → SHIPPED needs the
//! carrier and tracking number, which the buyer then sees with a tracking
//! link; DELIVERED records when (returns are open for 7 days from then).
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};

use super::refresh_order_status;
use crate::{
    db::begin_write,
    domain::realtime::notifications::{self, NewNotification},
    entities::notification::NotificationKind,
    entities::{
        order::{self, Carrier, OrderStatus, line},
        store,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

/// How a shipped line travels.
#[derive(Clone, Debug)]
pub struct Shipment {
    pub carrier: Carrier,
    pub tracking_number: String,
}

fn check_tracking(raw: &str) -> AppResult<String> {
    let number: String = raw.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if !(6..=30).contains(&number.len()) || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::validation(
            "trackingNumber",
            "`trackingNumber` must be 6 to 30 letters or digits (hyphens and spaces are ignored)",
        ));
    }
    Ok(number)
}

/// The carrier's public tracking page for a (checked, alphanumeric) number;
/// `None` for carriers whose tracking lives in their own app (Coupang) and OTHER.
pub fn tracking_url(carrier: Carrier, n: &str) -> Option<String> {
    Some(match carrier {
        Carrier::CjLogistics => {
            format!("https://trace.cjlogistics.com/next/tracking.html?wblNo={n}")
        }
        Carrier::Hanjin => format!(
            "https://www.hanjin.com/kor/CMS/DeliveryMgr/WaybillResult.do?mCode=MN038&schLang=KR&wblnumText2={n}"
        ),
        Carrier::Lotte => {
            format!("https://www.lotteglogis.com/home/reservation/tracking/linkView?InvNo={n}")
        }
        Carrier::Logen => format!("https://www.ilogen.com/web/personal/trace/{n}"),
        Carrier::Epost => {
            format!("https://service.epost.go.kr/trace.RetrieveDomRigiTraceList.comm?sid1={n}")
        }
        Carrier::CuPost => {
            format!("https://www.cupost.co.kr/postbox/delivery/localResult.cupost?invoice_no={n}")
        }
        Carrier::GsPostbox => {
            format!("https://www.cvsnet.co.kr/invoice/tracking.do?invoice_no={n}")
        }
        Carrier::Kyungdong => {
            format!("https://kdexp.com/service/delivery/etc/delivery.do?barcode={n}")
        }
        Carrier::Coupang | Carrier::Other => return None,
    })
}

fn next_status(current: OrderStatus) -> Option<OrderStatus> {
    match current {
        OrderStatus::PendingPayment => Some(OrderStatus::Paid),
        OrderStatus::Paid => Some(OrderStatus::Shipped),
        OrderStatus::Shipped => Some(OrderStatus::Delivered),
        OrderStatus::Delivered | OrderStatus::Cancelled => None,
    }
}

/// Moves one line a single step forward; only its store's seller or an admin.
pub async fn advance_line(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &user::Model,
    line_id: i64,
    to: OrderStatus,
    shipment: Option<Shipment>,
) -> AppResult<line::Model> {
    let shipment = match (to, shipment) {
        (OrderStatus::Shipped, Some(s)) => Some(Shipment {
            tracking_number: check_tracking(&s.tracking_number)?,
            carrier: s.carrier,
        }),
        (OrderStatus::Shipped, None) => {
            return Err(AppError::validation(
                "carrier",
                "a shipped line needs its `carrier` and `trackingNumber`",
            ));
        }
        (_, Some(_)) => {
            return Err(AppError::validation(
                "carrier",
                "`carrier` and `trackingNumber` go with SHIPPED only",
            ));
        }
        (_, None) => None,
    };
    let txn = begin_write(db).await?;
    let current = line::Entity::find_by_id(line_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("OrderLine"))?;
    if actor.role != Role::Admin {
        let owner = store::Entity::find_by_id(current.store_id)
            .one(&txn)
            .await?
            .map(|s| s.owner_id);
        if owner != Some(actor.id) {
            return Err(AppError::not_found("OrderLine"));
        }
    }
    match next_status(current.status) {
        Some(next) if next == to => {}
        Some(next) => {
            return Err(AppError::validation(
                "status",
                format!("this line can only move to {next:?} next"),
            ));
        }
        None => return Err(AppError::conflict("status", "this line is finished")),
    }
    let now = Utc::now();
    let mut update = line::Entity::update_many()
        .col_expr(line::Column::Status, Expr::value(to))
        .col_expr(line::Column::UpdatedAt, Expr::value(now));
    if let Some(shipment) = &shipment {
        update = update
            .col_expr(line::Column::Carrier, Expr::value(shipment.carrier))
            .col_expr(
                line::Column::TrackingNumber,
                Expr::value(shipment.tracking_number.clone()),
            )
            .col_expr(line::Column::ShippedAt, Expr::value(now));
    }
    if to == OrderStatus::Delivered {
        update = update.col_expr(line::Column::DeliveredAt, Expr::value(now));
    }
    let moved = update
        .filter(line::Column::Id.eq(line_id))
        .filter(line::Column::Status.eq(current.status))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::conflict(
            "status",
            "the line changed at the same time; reload it",
        ));
    }
    refresh_order_status(&txn, current.order_id).await?;
    let updated = line::Entity::find_by_id(line_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("OrderLine"))?;
    let buyer_id = order::Entity::find_by_id(current.order_id)
        .one(&txn)
        .await?
        .map(|o| o.buyer_id)
        .unwrap_or_default();
    let notice = notifications::notify(
        &txn,
        NewNotification {
            recipient_id: buyer_id,
            kind: NotificationKind::OrderStatus,
            actor_id: Some(actor.id),
            subject: Some(("Order", current.order_id)),
            data: serde_json::json!({
                "status": sea_orm::ActiveEnum::to_value(&to),
                "orderLineId": line_id,
                "productId": current.product_id,
                "carrier": shipment.as_ref().map(|s| sea_orm::ActiveEnum::to_value(&s.carrier)),
                "trackingNumber": shipment.as_ref().map(|s| s.tracking_number.clone()),
            }),
        },
    )
    .await?;
    crate::domain::partner_webhooks::line_moved_in(&txn, line_id, to).await?;
    txn.commit().await?;
    notifications::publish(events, notice);
    events.publish(DomainEvent::OrderStatusChanged {
        order_id: current.order_id,
        buyer_id,
        order_line_id: Some(line_id),
        status: format!("{to:?}"),
    });
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_tracking() {
        assert_eq!(next_status(OrderStatus::Paid), Some(OrderStatus::Shipped));
        assert_eq!(next_status(OrderStatus::Delivered), None);
        assert_eq!(check_tracking("6789-1234-5678").unwrap(), "678912345678");
        assert!(check_tracking("12").is_err());
        assert!(check_tracking("1234567<script>").is_err());
        let url = tracking_url(Carrier::CjLogistics, "678912345678").unwrap();
        assert!(url.ends_with("wblNo=678912345678"));
        assert_eq!(tracking_url(Carrier::Other, "x1234567"), None);
    }
}
