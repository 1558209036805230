//! Waybill numbers for a label batch (issue 16): each order's recipient is
//! opened (audited, `waybill request`), the configured carrier is asked
//! for a tracking number with retries and backoff, and every failure is
//! answered, naming the order and what the carrier said, never swallowed.
//!
//! Asking twice for one order gives the same number: the carrier keys the
//! waybill by our order (`WMS-{id}`, see `carriers`), so a batch retried
//! after a timeout, or a label reprinted in a new batch, carries the
//! waybill the order already has.

use super::{ApiError, AppState};
use crate::carriers::{with_retries, CarrierError, Party, RetryPolicy, WaybillRequest};
use crate::orders::Service;
use crate::tokens::Holder;
use crate::writer::labels::Shipment;
use crate::writer::orders::{Access, OrderCommand};
use crate::writer::Command;
use axum::http::StatusCode;

/// A tracking number for each of `orders`, in order.
pub(super) async fn waybills(
    state: &AppState,
    holder: &Holder,
    orders: &[u64],
) -> Result<Vec<Shipment>, ApiError> {
    let Some(carrier) = state.carrier.clone() else {
        return Err(ApiError::invalid(
            "no carrier is configured ([labels] carrier): name each order's carrier and \
             tracking number in `shipments` instead",
        ));
    };
    let mut requests = Vec::with_capacity(orders.len());
    for &id in orders {
        requests.push(request_for(state, holder, id).await?);
    }
    let policy = RetryPolicy::default();
    let answers = tokio::task::spawn_blocking(move || {
        requests
            .iter()
            .map(|r| {
                (
                    r.order_id,
                    with_retries(&policy, "waybill", || carrier.request_waybill(r)),
                )
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|_| ApiError::Unavailable("the waybill requests were interrupted".into()))?;
    answers
        .into_iter()
        .map(|(order, answer)| match answer {
            Ok(waybill) => Ok(Shipment {
                order,
                carrier: waybill.carrier,
                tracking: waybill.tracking,
            }),
            Err(e) => Err(carrier_failed(order, &e)),
        })
        .collect()
}

async fn request_for(
    state: &AppState,
    holder: &Holder,
    id: u64,
) -> Result<WaybillRequest, ApiError> {
    let order = state.store.order(id)?.ok_or_else(|| ApiError::NotFound {
        code: "unknown_order",
        message: format!("no order {id}"),
    })?;
    if order.state != crate::orders::OrderState::Packed {
        return Err(ApiError::Conflict {
            code: "order_state",
            message: format!(
                "order {id} is {}: only packed orders get a label",
                order.state.as_str()
            ),
            shortfall: Vec::new(),
        });
    }
    let access = Access {
        who: holder.name.clone(),
        reason: "waybill request".into(),
    };
    let data = state
        .call(|reply| Command::Order(OrderCommand::OpenCustomer { id, access, reply }))
        .await?;
    let items: i64 = order.lines.iter().map(|l| l.quantity).sum();
    Ok(WaybillRequest {
        order_id: id,
        order_ref: order.platform_order_id.clone(),
        service: match order.service {
            Service::Express => "express",
            Service::Standard => "standard",
        }
        .into(),
        sender: state.labels.carrier_sender(),
        recipient: Party {
            name: data.name,
            phone: data.phone,
            country: data.country,
            province: data.province,
            city: data.city,
            district: data.district,
            street: data.street,
            postal_code: data.postal_code,
        },
        items: u32::try_from(items.max(1)).unwrap_or(u32::MAX),
    })
}

fn carrier_failed(order: u64, e: &CarrierError) -> ApiError {
    ApiError::Refused {
        status: StatusCode::BAD_GATEWAY,
        code: "carrier_failed",
        message: format!("the carrier gave no waybill for order {order}: {e}"),
    }
}
