//! A hub that gives work to handhelds (issue 15), for the work-queue
//! tests: started with a `[tasks]` config listing the devices that take
//! work, restartable on the same data and ports; and orders placed paid
//! over HTTP, with a wait for an order's state.

use crate::feed::{call, post};
use crate::{wait_until, HubPorts, HubProc};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A hub for site `s1` whose `[tasks]` gives work to `devices` (zone "").
pub struct TaskHub {
    /// The running hub.
    pub hub: HubProc,
    /// Its ports (kept across a restart).
    pub ports: HubPorts,
    dir: PathBuf,
    config: String,
}

impl TaskHub {
    /// Starts it with its data in `data/hub`.
    pub fn start(data: &Path, devices: &[&str]) -> TaskHub {
        TaskHub::start_with(data, devices, "")
    }

    /// Starts it with `more` appended to its TOML config (other tables).
    pub fn start_with(data: &Path, devices: &[&str], more: &str) -> TaskHub {
        let listed: Vec<String> = devices
            .iter()
            .map(|d| format!("{{ device = \"{d}\", zone = \"\" }}"))
            .collect();
        let config = data.join("hub.toml");
        let text = format!("[tasks]\ndevices = [{}]\n{more}", listed.join(", "));
        std::fs::write(&config, text).expect("write hub.toml");
        let ports = HubPorts::fresh();
        let dir = data.join("hub");
        let config = config.to_string_lossy().to_string();
        let hub = HubProc::start_with(&dir, ports, "s1", &["--config", &config]);
        TaskHub {
            hub,
            ports,
            dir,
            config,
        }
    }

    /// Its HTTP address.
    pub fn addr(&self) -> SocketAddr {
        self.ports.http_addr()
    }

    /// Kills it with SIGKILL and starts it again on the same data and ports.
    pub fn crash_and_restart(self) -> TaskHub {
        let TaskHub {
            hub,
            ports,
            dir,
            config,
        } = self;
        hub.kill9();
        let hub = HubProc::start_with(&dir, ports, "s1", &["--config", &config]);
        TaskHub {
            hub,
            ports,
            dir,
            config,
        }
    }
}

/// Places a paid express order of `quantity` units of `sku` as
/// `platform_order_id`; returns its id (it is routed at once).
pub fn paid_order(addr: SocketAddr, platform_order_id: &str, sku: &str, quantity: i64) -> u64 {
    let body = serde_json::json!({
        "platform": "own", "platform_order_id": platform_order_id,
        "service": "express", "paid": true,
        "customer": {"name": "张三", "phone": "13812345678",
            "address": {"country": "CN", "province": "浙江省", "city": "杭州市",
                        "district": "西湖区", "street": "文三路90号", "postal_code": "310012"}},
        "lines": [{"sku": sku, "quantity": quantity}]
    });
    let (status, placed) = post(addr, "/api/v1/orders", &body.to_string());
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["state"], "routed", "{placed}");
    placed["id"].as_u64().expect("order id")
}

/// An order's state, as the hub answers it.
pub fn order_state(addr: SocketAddr, id: u64) -> String {
    let (_, order) = call(addr, "GET", &format!("/api/v1/orders/{id}"), None);
    order["state"].as_str().unwrap_or("").to_string()
}

/// Waits (20 s at most) until order `id` is in `state`.
pub fn wait_order_state(addr: SocketAddr, id: u64, state: &str) {
    wait_until(
        &format!("order {id} {state}"),
        Duration::from_secs(20),
        || (order_state(addr, id) == state).then_some(()),
    )
    .unwrap_or_else(|e| panic!("order {id} never became {state}: {e}"));
}
