//! Guided picking and pack checking through the agent's terminal UI, end
//! to end over real processes and the real broker (issue 15, items 4, 5
//! and 7): an order paid over HTTP becomes a pick list on handheld h1;
//! `agent --ui pick` runs in an 80x25 tmux pane and is driven with
//! send-keys as a keyboard-wedge scanner would type, its screen read back
//! with capture-pane at every step, a wrong location refused with its
//! message and nothing recorded; the order becomes picked; the same
//! journal restarted as `agent --ui pack` checks the order's items (a
//! wrong item refused) and the order becomes packed; stock and
//! reservations are exact, and h1 sent exactly its two movements. A
//! second test reads the serial barcode engine (`firmware-sim scanner` on
//! a pseudo-terminal) as the UI's scanner: its reads are scans, and the
//! engine beeps what the screen answered.

use std::path::Path;
use std::time::Duration;
use tests::feed::{call, movement, Feed};
use tests::firmware::EngineProc;
use tests::tmux::{shell_quote, Pane};
use tests::work::{paid_order, wait_order_state, TaskHub};
use tests::{bin_path, hubapi, wait_until, Credentials};

const WAIT: Duration = Duration::from_secs(20);

/// The shell command line of h1's agent in UI `mode`, logging to a file.
fn agent_command(dir: &Path, mqtt: &str, creds: &Credentials, mode: &str) -> String {
    let path = |p: &Path| p.to_string_lossy().to_string();
    let log = dir.join(format!("agent-{mode}.log"));
    let parts = [
        path(&bin_path("agent")),
        "--hub".into(),
        mqtt.into(),
        "--site".into(),
        creds.site("h1").into(),
        "--device".into(),
        "h1".into(),
        "--data".into(),
        path(&dir.join("h1")),
        "--credentials".into(),
        path(&creds.path),
        "--ui".into(),
        mode.into(),
        "--log".into(),
        path(&log),
    ];
    let quoted: Vec<String> = parts.iter().map(|p| shell_quote(p)).collect();
    format!("RUST_LOG=info {}", quoted.join(" "))
}

/// Picks the order's one line through the pick screen, refusing a wrong
/// location on the way.
fn pick_through_the_screen(pane: &Pane) {
    let first = pane.wait_for(&["GO TO A-01-1", "lines 0/1", "ONLINE"], WAIT);
    assert!(first[0].starts_with(" PICK "), "{}", first.join("\n"));
    assert!(first.len() <= 25, "80x25: {} rows", first.len());

    pane.enter("LOC:B-02-1");
    let refused = pane.wait_for(&["REFUSED: wrong location B-02-1: go to A-01-1"], WAIT);
    let text = refused.join("\n");
    assert!(
        text.contains("GO TO A-01-1"),
        "still at the first step:\n{text}"
    );
    assert!(text.contains("lines 0/1"), "nothing closed:\n{text}");
    assert!(!text.contains("backlog"), "nothing journaled:\n{text}");

    pane.enter("LOC:A-01-1");
    pane.wait_for(&["SCAN ITEM TEA  x3", "> at A-01-1: scan the item"], WAIT);
    pane.enter("TEA");
    pane.wait_for(
        &["CONFIRM QTY TEA  x3", "> type the units picked, Enter = 3"],
        WAIT,
    );
    pane.type_text("3");
    pane.wait_for(&["typed: 3_"], WAIT);
    pane.press("Enter");
    pane.wait_for(&["OK: picked 3 TEA at A-01-1"], WAIT);
}

/// Packs the order through the pack screen, refusing a wrong item.
fn pack_through_the_screen(pane: &Pane, id: u64) {
    pane.wait_for(&["SCAN ORDER OR PICK LIST", " PACK "], WAIT);
    pane.enter(&format!("ORDER:{id}"));
    pane.wait_for(
        &[
            &format!("PACK ORDER {id}: SCAN ITEMS"),
            "-- TEA  0/3",
            "units 0/3",
        ],
        WAIT,
    );
    pane.enter("COFFEE");
    let refused = pane.wait_for(
        &[&format!("REFUSED: wrong item COFFEE: not in order {id}")],
        WAIT,
    );
    assert!(
        refused.join("\n").contains("units 0/3"),
        "{}",
        refused.join("\n")
    );
    pane.enter("TEA");
    pane.wait_for(&["OK: TEA 1/3", "units 1/3"], WAIT);
    pane.enter("TEA");
    pane.wait_for(&["OK: TEA 2/3", "units 2/3"], WAIT);
    pane.enter("TEA");
    pane.wait_for(&[&format!("OK: order {id} packed: ready for labels")], WAIT);
}

/// Waits for the UI to exit 0 after its quit key, or fails with what the
/// pane and the agent's log say.
fn exits_cleanly(pane: &Pane, log: &Path) {
    let exit = pane.wait_exit(WAIT);
    if exit != Some(0) {
        let log = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(12).collect();
        let (state, screen) = (pane.describe(), pane.screen().join("\n"));
        panic!("the UI did not exit cleanly ({exit:?}): {state}\n{screen}\nlog: {tail:#?}");
    }
}

/// 10 received, 3 picked and packed: 7 on hand, nothing reserved; h1
/// sent a pick and a pack, nothing else (the refusals recorded nothing).
fn assert_exact(addr: std::net::SocketAddr) {
    let (_, stock) = call(addr, "GET", "/api/v1/stock/TEA", None);
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["reserved"].as_i64()),
        (Some(7), Some(0)),
        "{stock}"
    );
    let sent = wait_until("h1's pack applied", WAIT, || {
        hubapi::watermark(addr, "h1").ok().filter(|&w| w >= 2)
    });
    assert_eq!(sent, Ok(2), "a pick and a pack, nothing else");
}

#[test]
fn an_order_is_picked_and_packed_through_the_terminal_ui() {
    let data = tempfile::tempdir().unwrap();
    let hub = TaskHub::start(data.path(), &["h1"]);
    let addr = hub.addr();
    let creds = hub.hub.provision(&["h1", "dock"]);
    let mut dock = Feed::connect(hub.ports.mqtt, addr, &creds, "dock");
    dock.send(vec![movement(
        protocol::MovementKind::Receive,
        "TEA",
        "A-01-1",
        10,
    )]);
    let id = paid_order(addr, "T-1", "TEA", 3);

    let mqtt = hub.ports.mqtt_addr();
    let pick = agent_command(data.path(), &mqtt, &creds, "pick");
    let pane = Pane::start(&data.path().join("tmux"), 80, 25, &pick);
    pick_through_the_screen(&pane);
    wait_order_state(addr, id, "picked");
    let watermark = wait_until("h1's pick applied", WAIT, || {
        hubapi::watermark(addr, "h1").ok().filter(|&w| w >= 1)
    });
    assert_eq!(
        watermark,
        Ok(1),
        "one movement: the refused location recorded nothing"
    );

    // Quit with Ctrl-C (raw mode: a key, not a signal); the agent exits 0
    // and the pack station starts on the same journal and queue.
    pane.press("C-c");
    exits_cleanly(&pane, &data.path().join("agent-pick.log"));
    pane.respawn(&agent_command(data.path(), &mqtt, &creds, "pack"));
    pack_through_the_screen(&pane, id);
    wait_order_state(addr, id, "packed");

    assert_exact(addr);
    pane.press("C-q");
    exits_cleanly(&pane, &data.path().join("agent-pack.log"));
}

/// Reads from the serial engine are scans in the pick UI (the engine's
/// link appears only once the screen asks for the location: the agent
/// keeps trying to open it), each answered with the engine's beep: one for
/// the location, three for a wrong item, whose message stays on screen;
/// the keyboard then takes the right item and the quantity.
#[test]
fn serial_engine_reads_are_scans_on_the_pick_screen() {
    let data = tempfile::tempdir().unwrap();
    let hub = TaskHub::start(data.path(), &["h1"]);
    let addr = hub.addr();
    let creds = hub.hub.provision(&["h1", "dock"]);
    let mut dock = Feed::connect(hub.ports.mqtt, addr, &creds, "dock");
    let receive = movement(protocol::MovementKind::Receive, "TEA", "A-01-1", 10);
    dock.send(vec![receive]);
    let id = paid_order(addr, "S-1", "TEA", 2);

    let link = data.path().join("scanner");
    let pick = agent_command(data.path(), &hub.ports.mqtt_addr(), &creds, "pick");
    let pick = format!("{pick} --scanner {}", shell_quote(&link.to_string_lossy()));
    let pane = Pane::start(&data.path().join("tmux"), 80, 25, &pick);
    pane.wait_for(&["GO TO A-01-1", "lines 0/1"], WAIT);
    let script = data.path().join("reads.txt");
    std::fs::write(&script, "LOC:A-01-1\nCOFFEE\n").unwrap();
    let engine = EngineProc::start(&link, &script);

    pane.wait_for(
        &["REFUSED: wrong item COFFEE: scan TEA", "SCAN ITEM TEA  x2"],
        WAIT,
    );
    let beeps = wait_until("the engine beeped both reads", WAIT, || {
        Some(engine.events.count("beeper on")).filter(|&n| n >= 4)
    });
    assert_eq!(
        beeps,
        Ok(4),
        "one good beep, one error beep of three: {:?}",
        engine.events.all()
    );
    pane.enter("TEA");
    pane.wait_for(&["CONFIRM QTY TEA  x2"], WAIT);
    pane.enter("");
    pane.wait_for(&["OK: picked 2 TEA at A-01-1"], WAIT);
    wait_order_state(addr, id, "picked");
    let (_, stock) = call(addr, "GET", "/api/v1/stock/TEA", None);
    let stock = (stock["on_hand"].as_i64(), stock["reserved"].as_i64());
    assert_eq!(stock, (Some(8), Some(0)));
    assert_eq!(
        engine.events.count("beeper on"),
        4,
        "keyboard input beeps no engine"
    );
    pane.press("C-c");
    exits_cleanly(&pane, &data.path().join("agent-pick.log"));
}
