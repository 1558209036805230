//! Promises 1 and 2 under crashes: the agent is SIGKILLed again and again
//! while it is fed scans, and the hub is SIGKILLed a few times too. After
//! everything reconnects and drains, every scan the agent confirmed is
//! applied exactly once, and the stock equals a replay of the event log.
//! A scan in flight at a kill (journaled, not yet confirmed) may also be
//! applied, once; there can be at most one such scan per agent kill.
//!
//! The hub archives its event log in segments of 8 entries here (keeping
//! 16 in the store), so the kills also fall between archive steps, and the
//! log read back at the end comes from both the segments and the store.

use hub::store::Store;
use std::time::Duration;
use tests::procs::confirmed_seq;
use tests::{hubapi, wait_until, AgentProc, HubPorts, HubProc};

const AGENT_KILLS: usize = 12;
const HUB_KILLS: usize = 3;
const SCANS_PER_LIFE: usize = 25;

fn scan_line(n: usize) -> (String, (String, String), i64) {
    let sku = format!("SKU-{}", n % 5);
    let loc = format!("L-{}", n % 3);
    let qty = (n % 9 + 1) as i64;
    (format!("receive {sku} {loc} {qty}"), (sku, loc), qty)
}

#[test]
fn kills_lose_nothing_confirmed_and_apply_nothing_twice() {
    let hub_data = tempfile::tempdir().unwrap();
    let agent_data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let creds = tests::provision(hub_data.path(), "s1", &["crash-1"]);
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("hub.toml");
    std::fs::write(&config, "event_log_keep = 16\nevent_log_segment = 8\n").unwrap();
    let config = config.display().to_string();
    let start = || HubProc::start_with(hub_data.path(), ports, "s1", &["--config", &config]);
    let mut hub = Some(start());
    let mut confirmed = tests::applied::Confirmed::new();
    let mut n = 0;
    let mut hub_kills = 0;
    for life in 0..AGENT_KILLS {
        let mut agent = AgentProc::start(
            agent_data.path(),
            &ports.mqtt_addr(),
            &creds,
            "crash-1",
            &[],
        );
        for i in 0..SCANS_PER_LIFE {
            // Some lives also lose the hub mid-stream: the agent keeps
            // confirming scans while it is down and resends after.
            if i == SCANS_PER_LIFE / 2 && life % (AGENT_KILLS / HUB_KILLS) == 1 {
                if let Some(h) = hub.take() {
                    h.kill9();
                    hub_kills += 1;
                }
            }
            if i == SCANS_PER_LIFE * 3 / 4 && hub.is_none() {
                hub = Some(start());
            }
            n += 1;
            let (line, key, qty) = scan_line(n);
            match agent.scan(&line).ok().as_deref().and_then(confirmed_seq) {
                Some(seq) => {
                    assert!(
                        confirmed.insert(seq, (key, qty)).is_none(),
                        "seq {seq} reused"
                    );
                }
                None => panic!("scan {n} not confirmed"),
            }
        }
        // Kill mid-stream: one more scan is written but its answer not read.
        let (line, _, _) = scan_line(n + 1000);
        let _ = agent.scan(&line);
        agent.kill9();
    }
    assert_eq!(hub_kills, HUB_KILLS);
    // A last life that drains everything and exits.
    let mut agent = AgentProc::start(
        agent_data.path(),
        &ports.mqtt_addr(),
        &creds,
        "crash-1",
        &["--exit-when-drained"],
    );
    agent.close_stdin();
    assert!(
        agent.wait_exit(Duration::from_secs(60)),
        "agent did not drain and exit"
    );
    let last = *confirmed.keys().last().unwrap();
    let watermark = wait_until("watermark", Duration::from_secs(10), || {
        hubapi::watermark(ports.http_addr(), "crash-1")
            .ok()
            .filter(|&w| w >= last)
    })
    .unwrap();
    let api_stock = hubapi::stock(ports.http_addr()).unwrap();
    assert!(hub.take().unwrap().terminate(), "hub must stop cleanly");

    let store = Store::open(hub_data.path()).unwrap();
    let archived = store.archived_through();
    assert!(archived >= 8, "the hub archived no segment of its log");
    let entries = tests::applied::assert_applied_once(&store, &confirmed, watermark, &api_stock);
    let unconfirmed = watermark as usize - confirmed.len();
    assert!(
        unconfirmed <= AGENT_KILLS,
        "{unconfirmed} unconfirmed scans applied"
    );
    eprintln!(
        "crash: {AGENT_KILLS} agent kills, {hub_kills} hub kills, {} confirmed, {} applied, {unconfirmed} in flight at a kill, {archived} of {} log entries archived",
        confirmed.len(),
        watermark,
        entries
    );
}
