//! The pipelined writer (one group flushing while the next is applied and
//! written) under SIGKILL: a real hub process takes device batches from
//! several stand-in handhelds (each keeps its movements in memory as its
//! journal, publishes them in a window without waiting for each ack, and
//! resends what is unacked) and reservations from several HTTP clients at
//! once, and is killed at a random moment of that traffic, round after
//! round, then restarted on the same data directory.
//!
//! After each kill: `hub verify` passes (the store opens, the pool equals
//! the replay of the log: nothing half-applied), and once restarted the
//! hub holds every movement it had acked (its watermark reached the ack).
//! At the end, after the devices drained: each device's movements are in
//! the log exactly once, as sent; every reservation answered 201 is
//! stored with its order; no SKU holds more than it has; and the reserved
//! totals the hub serves equal the stored holds.
//!
//! `PIPELINE_CRASH_ROUNDS=N` (default 8) and `PIPELINE_CRASH_SEED=N`.

use hub::reservations::ReservationState;
use hub::store::Store;
use protocol::{EventBatch, Movement, MovementKind};
use rumqttc::{Client, Event, Packet, QoS};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};
use tests::feed::movement;
use tests::identity::{device_options, signed_frame, AckOpener};
use tests::procs::hub_command;
use tests::sim::Rng;
use tests::{env_u64, http, hubapi, wait_until, Credentials, HubPorts, HubProc};

const SITE: &str = "s1";
const DEVICES: usize = 4;
const CLIENTS: usize = 6;
const SKUS: u64 = 3;
/// Movements a device may have sent and not had acked.
const WINDOW: u64 = 40;
/// A device resends what is unacked after this long without ack progress.
const RESEND_AFTER: Duration = Duration::from_millis(700);

/// A stand-in handheld: its journal (in memory), epoch and acks.
struct Device {
    id: String,
    epoch: u64,
    opener: AckOpener,
    state: Mutex<Journal>,
    acked_moved: Condvar,
}

#[derive(Default)]
struct Journal {
    /// Movement `seq` is at `seq - 1`.
    movements: Vec<Movement>,
    /// The hub's ack, as received.
    acked: u64,
}

impl Device {
    fn new(creds: &Credentials, id: &str) -> Device {
        let epoch = tests::identity::fresh_epoch();
        let opener = AckOpener::new(creds.device(id)).expect("device key");
        Device {
            id: id.into(),
            epoch,
            opener: opener.in_epoch(epoch),
            state: Mutex::new(Journal::default()),
            acked_moved: Condvar::new(),
        }
    }

    fn journal(&self) -> std::sync::MutexGuard<'_, Journal> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ack(&self, through: u64) {
        let mut journal = self.journal();
        assert!(
            through <= journal.movements.len() as u64,
            "{}: acked {through}, past what it sent",
            self.id
        );
        if through > journal.acked {
            journal.acked = through;
            self.acked_moved.notify_all();
        }
    }

    /// (acked, journaled).
    fn marks(&self) -> (u64, u64) {
        let journal = self.journal();
        (journal.acked, journal.movements.len() as u64)
    }

    fn frame(&self, creds: &Credentials, from: u64, through: u64) -> Vec<u8> {
        let journal = self.journal();
        let batch = EventBatch {
            site: SITE.into(),
            device: self.id.clone(),
            epoch: self.epoch,
            first_seq: from,
            movements: journal.movements[(from - 1) as usize..through as usize].to_vec(),
            auth_tag: None,
        };
        signed_frame(creds, &self.id, &batch)
    }

    fn scan(&self, rng: &mut Rng) {
        let sku = format!("SKU-{}", rng.below(SKUS));
        let mut scan = movement(MovementKind::Receive, &sku, "L-1", 1 + rng.below(9) as i64);
        let mut journal = self.journal();
        scan.seq = journal.movements.len() as u64 + 1;
        journal.movements.push(scan);
    }
}

/// One life of a device on one hub: connects, resends what is unacked,
/// scans (if `scanning`) and publishes until `stop`.
fn device_life(dev: &Device, creds: &Credentials, port: u16, scanning: bool, stop: &AtomicBool) {
    let mut opts = device_options(creds, &dev.id, port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = Client::new(opts, 256);
    let ack_topic = dev.opener.topic().to_string();
    std::thread::scope(|scope| {
        let pump = client.clone();
        scope.spawn(move || {
            for event in connection.iter() {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                match event {
                    // Clean sessions: subscribe again on every connection.
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = pump.try_subscribe(ack_topic.clone(), QoS::AtLeastOnce);
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if let Some(through) = dev.opener.through(&p.topic, &p.payload) {
                            dev.ack(through);
                        }
                    }
                    Ok(_) => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        });
        publish_until(dev, creds, &client, scanning, stop);
        let _ = client.try_disconnect();
    });
}

fn publish_until(
    dev: &Device,
    creds: &Credentials,
    client: &Client,
    scanning: bool,
    stop: &AtomicBool,
) {
    let topic = format!("wms/{SITE}/dev/{}/events", dev.id);
    let mut rng = Rng::new(dev.epoch ^ tests::identity::fresh_epoch());
    let (mut sent, _) = dev.marks();
    let mut progress = (sent, Instant::now());
    while !stop.load(Ordering::Acquire) {
        let (acked, journaled) = dev.marks();
        if acked > progress.0 {
            progress = (acked, Instant::now());
        }
        if acked < journaled && progress.1.elapsed() > RESEND_AFTER {
            sent = acked;
            progress.1 = Instant::now();
        }
        sent = sent.max(acked);
        if sent < journaled {
            let through = journaled.min(sent + 1 + rng.below(5));
            let frame = dev.frame(creds, sent + 1, through);
            if client
                .try_publish(topic.clone(), QoS::AtLeastOnce, false, frame)
                .is_ok()
            {
                sent = through;
            }
        } else if scanning && journaled - acked < WINDOW {
            for _ in 0..1 + rng.below(4) {
                dev.scan(&mut rng);
            }
        } else {
            let journal = dev.journal();
            let _ = dev
                .acked_moved
                .wait_timeout(journal, Duration::from_millis(20));
        }
    }
}

/// The test's whole world: one hub's data, its devices and what it answered.
struct World {
    data: tempfile::TempDir,
    ports: HubPorts,
    creds: Credentials,
    devices: Vec<Device>,
    /// (id, order) of every reservation answered 201.
    answered: Mutex<Vec<(u64, String)>>,
}

impl World {
    /// Reserves 1-2 units of a random SKU again and again until `stop`.
    fn reserving(&self, name: String, seed: u64, stop: &AtomicBool, created: &AtomicU64) {
        let mut rng = Rng::new(seed);
        for n in 1.. {
            if stop.load(Ordering::Acquire) {
                break;
            }
            let order = format!("{name}-{n}");
            let line =
                json!({"sku": format!("SKU-{}", rng.below(SKUS)), "quantity": 1 + rng.below(2)});
            let body = json!({"order_ref": order, "hold_seconds": 1800, "lines": [line]});
            let path = "/api/v1/reservations";
            let addr = self.ports.http_addr();
            match http::request(addr, "POST", path, Some(&body.to_string())) {
                Ok(r) if r.status == 201 => {
                    let id = r.json().ok().and_then(|v| v["id"].as_u64()).expect("id");
                    self.answered.lock().expect("answered").push((id, order));
                    created.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            }
        }
    }

    fn acked(&self) -> u64 {
        self.devices.iter().map(|d| d.marks().0).sum()
    }

    /// Starts the hub and checks it holds every movement it acked.
    fn restart(&self) -> HubProc {
        let hub = HubProc::start(self.data.path(), self.ports, SITE);
        for dev in &self.devices {
            let (acked, _) = dev.marks();
            let held = hubapi::epoch_watermark(self.ports.http_addr(), &dev.id, dev.epoch)
                .expect("watermark");
            assert!(
                held >= acked,
                "{}: the hub acked through seq {acked} but holds only {held} after a kill",
                dev.id
            );
        }
        hub
    }

    /// Devices and clients at full speed; the hub is killed at a random
    /// point of it. Returns the movements acked and reservations answered
    /// 201 in this life.
    fn round(&self, round: u64, rng: &mut Rng) -> (u64, u64) {
        let hub = self.restart();
        // Killed at a random point once both kinds of answers came back.
        let (acks_wanted, holds_wanted) = (20 + rng.below(200), 3 + rng.below(20));
        let stop = AtomicBool::new(false);
        let created = AtomicU64::new(0);
        let acked_before = self.acked();
        let port = self.ports.mqtt;
        std::thread::scope(|scope| {
            for dev in &self.devices {
                let (creds, stop) = (&self.creds, &stop);
                scope.spawn(move || device_life(dev, creds, port, true, stop));
            }
            for client in 0..CLIENTS {
                let name = format!("order-{round}-{client}");
                let (seed, stop, created) = (rng.next_u64(), &stop, &created);
                scope.spawn(move || self.reserving(name, seed, stop, created));
            }
            let reached = wait_until("traffic before the kill", Duration::from_secs(60), || {
                let acks = self.acked() - acked_before;
                let holds = created.load(Ordering::Relaxed);
                (acks >= acks_wanted && holds >= holds_wanted).then_some(())
            });
            hub.kill9();
            stop.store(true, Ordering::Release);
            reached.expect("the hub answered too little to be killed mid-traffic");
        });
        let verify = hub_command(self.data.path(), &["verify"]);
        assert!(
            verify.status.success(),
            "hub verify after kill {round}: {}{}",
            String::from_utf8_lossy(&verify.stdout),
            String::from_utf8_lossy(&verify.stderr)
        );
        (self.acked() - acked_before, created.load(Ordering::Relaxed))
    }

    /// The last life: devices resend until everything is acked. Returns
    /// the reserved totals per SKU the hub serves.
    fn drain(&self) -> BTreeMap<String, i64> {
        let hub = self.restart();
        let stop = AtomicBool::new(false);
        let port = self.ports.mqtt;
        std::thread::scope(|scope| {
            for dev in &self.devices {
                let (creds, stop) = (&self.creds, &stop);
                scope.spawn(move || device_life(dev, creds, port, false, stop));
            }
            let drained = wait_until("every device drained", Duration::from_secs(60), || {
                self.devices
                    .iter()
                    .all(|d| d.marks().0 == d.marks().1)
                    .then_some(())
            });
            stop.store(true, Ordering::Release);
            drained.expect("devices did not drain");
        });
        let mut reserved = BTreeMap::new();
        for item in hubapi::items(self.ports.http_addr(), "/api/v1/stock").expect("stock") {
            let sku = item["sku"].as_str().expect("sku").to_string();
            reserved.insert(sku, item["reserved"].as_i64().expect("reserved"));
        }
        assert!(hub.terminate(), "hub must stop cleanly");
        reserved
    }
}

/// Every device's movements in the log exactly once as sent; every 201
/// stored; no SKU holding more than it has; the served totals stored.
fn check_store(world: &World, served: &BTreeMap<String, i64>) {
    let store = Store::open(world.data.path()).expect("store opens");
    let events: Vec<_> = store.events().map(|e| e.expect("event").1).collect();
    for dev in &world.devices {
        let logged: Vec<&Movement> = events
            .iter()
            .filter(|e| e.device == dev.id && e.epoch == dev.epoch)
            .flat_map(|e| &e.movements)
            .collect();
        let journal = dev.journal();
        assert_eq!(
            logged.len(),
            journal.movements.len(),
            "{}: movements",
            dev.id
        );
        for (logged, sent) in logged.iter().zip(&journal.movements) {
            assert_eq!(
                *logged, sent,
                "{}: seq {} differs from what it sent",
                dev.id, sent.seq
            );
        }
    }
    for (id, order) in world.answered.lock().expect("answered").iter() {
        let stored = store.reservation(*id).expect("read reservation");
        let stored = stored.map(|r| r.order_ref);
        assert_eq!(
            stored.as_ref(),
            Some(order),
            "reservation {id} answered 201"
        );
    }
    let mut held: BTreeMap<String, i64> = BTreeMap::new();
    for r in store.all_reservations().expect("reservations") {
        if r.state == ReservationState::Held {
            for line in &r.lines {
                *held.entry(line.sku.clone()).or_default() += line.quantity - line.picked;
            }
        }
    }
    let mut on_hand: BTreeMap<String, i64> = BTreeMap::new();
    for row in store.stock_rows(None).expect("stock") {
        *on_hand.entry(row.key.sku).or_default() += row.on_hand;
    }
    for (sku, held) in &held {
        let has = on_hand.get(sku).copied().unwrap_or(0);
        assert!(*held <= has, "{sku}: {held} held, {has} on hand (oversold)");
    }
    let served: BTreeMap<_, _> = served.iter().filter(|(_, v)| **v != 0).collect();
    let stored: BTreeMap<_, _> = held.iter().filter(|(_, v)| **v != 0).collect();
    assert_eq!(
        served, stored,
        "served reserved totals differ from the stored holds"
    );
}

#[test]
fn kills_mid_pipeline_lose_nothing_answered_and_half_apply_nothing() {
    let rounds = env_u64("PIPELINE_CRASH_ROUNDS", 8);
    let seed = env_u64("PIPELINE_CRASH_SEED", 13);
    let mut rng = Rng::new(seed);
    let data = tempfile::tempdir().expect("tempdir");
    let ids: Vec<String> = (0..DEVICES).map(|i| format!("pipe-{i}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let creds = tests::provision(data.path(), SITE, &id_refs);
    let world = World {
        devices: ids.iter().map(|id| Device::new(&creds, id)).collect(),
        data,
        ports: HubPorts::fresh(),
        creds,
        answered: Mutex::new(Vec::new()),
    };
    let mut answers = Vec::new();
    for round in 1..=rounds {
        answers.push(world.round(round, &mut rng));
    }
    let served = world.drain();
    check_store(&world, &served);
    let movements: u64 = world.devices.iter().map(|d| d.marks().1).sum();
    let reservations = world.answered.lock().map(|a| a.len()).unwrap_or(0);
    eprintln!(
        "pipeline crash, seed {seed}: {rounds} kills, (movements acked, 201s) per life {answers:?}; \
         {movements} movements, {reservations} reservations answered"
    );
    assert!(
        rounds > 0 && movements > 0 && reservations > 0,
        "no traffic under test"
    );
}
