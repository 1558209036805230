//! A hub that gives work to handhelds (issue 15), for the work-queue
//! tests: started with a `[tasks]` config listing the devices that take
//! work, restartable on the same data and ports (on its own Mosquitto,
//! which keeps running while the hub is down, if asked); orders placed
//! paid over HTTP, with a wait for an order's state; a listener on a
//! device's tasks topic that opens its lists; and the queue version the
//! hub heard a device hold.

use crate::feed::{call, post};
use crate::identity::{device_key, device_options, AckOpener};
use crate::mosquitto::{HubBroker, Mosquitto};
use crate::{wait_until, Credentials, HubPorts, HubProc};
use protocol::auth::encode_signed_task_ack;
use protocol::{Message, TaskAck, TaskList};
use rumqttc::{Client, Event, Packet, QoS};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A hub for site `s1` whose `[tasks]` gives work to `devices` (zone "").
pub struct TaskHub {
    /// The running hub.
    pub hub: HubProc,
    /// Its ports (kept across a restart).
    pub ports: HubPorts,
    dir: PathBuf,
    config: String,
    /// Its own Mosquitto ([`TaskHub::start_on_mosquitto`]): not the
    /// hub's, so it outlives a kill of the hub (dropped after it).
    broker: Option<HubBroker>,
}

/// A [`TaskHub`] killed: its data, ports and own broker, kept for
/// [`DownHub::restart`].
pub struct DownHub {
    ports: HubPorts,
    dir: PathBuf,
    config: String,
    broker: Option<HubBroker>,
}

impl TaskHub {
    /// Starts it with its data in `data/hub`.
    pub fn start(data: &Path, devices: &[&str]) -> TaskHub {
        TaskHub::start_with(data, devices, "")
    }

    /// Starts it with `more` appended to its TOML config (other tables).
    pub fn start_with(data: &Path, devices: &[&str], more: &str) -> TaskHub {
        TaskHub::spawn(data, devices, more, false)
    }

    /// [`TaskHub::start`] on a Mosquitto of its own, whatever the run's
    /// broker ([`crate::mosquitto::hubs_on_mosquitto`]): it keeps running
    /// when the hub is killed, as an external broker does.
    pub fn start_on_mosquitto(data: &Path, devices: &[&str]) -> TaskHub {
        TaskHub::spawn(data, devices, "", true)
    }

    fn spawn(data: &Path, devices: &[&str], more: &str, own_broker: bool) -> TaskHub {
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
        let broker = own_broker.then(|| HubBroker::start(&dir, "s1", ports.mqtt));
        DownHub {
            ports,
            dir,
            config,
            broker,
        }
        .restart()
    }

    /// Its HTTP address.
    pub fn addr(&self) -> SocketAddr {
        self.ports.http_addr()
    }

    /// Kills it with SIGKILL and starts it again on the same data and ports.
    pub fn crash_and_restart(self) -> TaskHub {
        self.kill9().restart()
    }

    /// Kills it with SIGKILL; its own Mosquitto, if it has one, keeps
    /// running.
    pub fn kill9(self) -> DownHub {
        let TaskHub {
            hub,
            ports,
            dir,
            config,
            broker,
        } = self;
        hub.kill9();
        DownHub {
            ports,
            dir,
            config,
            broker,
        }
    }
}

impl DownHub {
    /// Starts the hub again on the same data and ports (and broker).
    pub fn restart(self) -> TaskHub {
        let mut args = vec!["--config".to_string(), self.config.clone()];
        if let Some(broker) = &self.broker {
            args.extend(broker.args.iter().cloned());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let hub = HubProc::start_with(&self.dir, self.ports, "s1", &args);
        TaskHub {
            hub,
            ports: self.ports,
            dir: self.dir,
            config: self.config,
            broker: self.broker,
        }
    }

    /// Its own Mosquitto, still running.
    pub fn broker(&self) -> Option<&Mosquitto> {
        self.broker.as_ref().map(|b| &b.broker)
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

/// The queue version `device` last said it holds, per the hub.
pub fn queue_held(addr: SocketAddr, device: &str) -> Option<u64> {
    let (_, devices) = call(addr, "GET", "/api/v1/devices", None);
    devices["items"]
        .as_array()?
        .iter()
        .find(|d| d["device"] == device)?["queue_version_held"]
        .as_u64()
}

/// Listens on h1's tasks topic and opens what arrives with h1's key.
pub struct Inbox {
    client: Client,
    lists: Arc<Mutex<Vec<TaskList>>>,
    /// SubAcks so far: one per (re)connect, once the topic is live.
    subscribed: Arc<AtomicU64>,
}

impl Inbox {
    pub fn connect(creds: &Credentials, port: u16) -> Inbox {
        Inbox::connect_for(creds, port, "h1")
    }

    /// Listens on `device`'s tasks topic, opening with its key.
    pub fn connect_for(creds: &Credentials, port: u16, device: &str) -> Inbox {
        let topic = format!("wms/s1/dev/{device}/tasks");
        let opener = AckOpener::new(creds.device(device)).expect("the device's key");
        // Another device's login reads h1's topic (the embedded broker has
        // no per-topic ACLs; the frames are sealed for h1 alone).
        let opts = device_options(creds, "inbox", port);
        let (client, mut conn) = Client::new(opts, 100);
        let lists = Arc::new(Mutex::new(Vec::new()));
        let sink = lists.clone();
        let again = client.clone();
        let subscribed = Arc::new(AtomicU64::new(0));
        let count = subscribed.clone();
        std::thread::spawn(move || {
            for event in conn.iter() {
                let p = match event {
                    Ok(Event::Incoming(Packet::Publish(p))) => p,
                    // A clean session: subscribe again after a hub restart.
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = again.try_subscribe(topic.as_str(), QoS::AtLeastOnce);
                        continue;
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                    _ => continue,
                };
                if let Some(Message::TaskList(list)) = opener.open(&p.topic, &p.payload) {
                    sink.lock().unwrap_or_else(|e| e.into_inner()).push(list);
                }
            }
        });
        let inbox = Inbox {
            client,
            lists,
            subscribed,
        };
        inbox.wait_subscribed(1);
        inbox
    }

    /// Waits until the broker has confirmed `n` subscriptions (a list
    /// published before that would not reach this listener).
    pub fn wait_subscribed(&self, n: u64) {
        wait_until("inbox subscribed", WAIT, || {
            (self.subscribed.load(Ordering::SeqCst) >= n).then_some(())
        })
        .expect("the broker did not confirm the subscription");
    }

    /// The first list received with a version of at least `version`.
    pub fn wait_for(&self, version: u64) -> TaskList {
        wait_until("a task list for h1", WAIT, || {
            let lists = self.lists.lock().unwrap_or_else(|e| e.into_inner());
            lists.iter().find(|l| l.version >= version).cloned()
        })
        .expect("no task list arrived")
    }

    pub fn received(&self) -> usize {
        self.lists.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// A task ack as h1 would send it (signed), or a forged one, sent over
    /// the inbox's connection: the hub judges the frame, not the sender.
    pub fn task_ack(&self, creds: &Credentials, version: u64, signed: bool) {
        let ack = TaskAck {
            site: "s1".into(),
            device: "h1".into(),
            version,
            auth_tag: None,
        };
        let frame = if signed {
            encode_signed_task_ack(&device_key(creds, "h1"), &ack)
        } else {
            protocol::encode(&Message::TaskAck(ack))
        };
        self.client
            .publish("wms/s1/dev/h1/taskack", QoS::AtLeastOnce, false, frame)
            .expect("queue task ack");
    }
}
