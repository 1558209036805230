//! `bench orders`: order intake throughput, durable. `clients` keep-alive
//! HTTP connections each POST new orders to `/api/v1/orders` (a paid order
//! of one line, a Chinese customer, cleaned and sealed by the hub) and wait
//! for the answer, which comes after the group's flush. Target (issue 14):
//! at least 5,000 orders/s on two cores.

use crate::hubctl;
use crate::reserve::{drive, seeded_hub, Conn};
use crate::stats::verdict;
use anyhow::bail;
use std::sync::Arc;

/// Orders per second the intake must take.
const TARGET: f64 = 5_000.0;

fn body(client: usize, i: u64) -> String {
    serde_json::json!({
        "platform": "own",
        "platform_order_id": format!("B{client}-{i}"),
        "service": if i.is_multiple_of(5) { "express" } else { "standard" },
        "paid": true,
        "customer": {
            "name": "张三",
            "phone": format!("138{:08}", (client as u64 * 1_000_003 + i) % 100_000_000),
            "address": {"country": "CN", "province": "浙江省", "city": "杭州市",
                        "district": "西湖区", "street": "文三路90号", "postal_code": "310012"}
        },
        "lines": [{"sku": format!("SKU-{}", 1 + (i as usize * 7 + client) % 5_000), "quantity": 1}],
        "tags": []
    })
    .to_string()
}

/// Runs each client count for `seconds`; true when every run met the target.
pub async fn run(clients: &[usize], seconds: u64) -> anyhow::Result<bool> {
    let mut ok = true;
    for &n in clients {
        let (hub, dir) = seeded_hub().await?;
        let token = tests::http::hub_token(dir.path())?;
        let addr = hub.http_addr;
        let mut conns = Vec::new();
        for _ in 0..n {
            conns.push(Arc::new(tokio::sync::Mutex::new(
                Conn::open(addr, &token).await?,
            )));
        }
        let rate = drive(n, seconds, move |c, i| {
            let conn = conns[c].clone();
            async move {
                let status = conn
                    .lock()
                    .await
                    .post("/api/v1/orders", &body(c, i))
                    .await?;
                if status != 201 {
                    bail!("order answered {status}");
                }
                Ok(())
            }
        })
        .await?;
        hubctl::stop(hub).await?;
        drop(dir);
        let pass = rate >= TARGET;
        ok &= pass;
        println!(
            "orders intake {n:4} clients: {rate:>8.0} orders/s durable (cleaned, sealed, held, routed) | target >= {TARGET:.0}/s: ratio {:.2}: {}",
            rate / TARGET,
            verdict(pass)
        );
    }
    Ok(ok)
}
