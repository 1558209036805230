//! The real serial path end to end: `firmware-sim scanner` plays a barcode
//! engine on a pseudo-terminal, `agent --scanner` reads it through
//! tokio-serial and the embedded-hal driver, and the hub's stock shows
//! exactly the scans: GS1 with lots and counts, a double read counted once,
//! line noise and a bad check digit refused with an error beep, and a
//! disconnect of the serial line survived by reopening it.

use std::time::Duration;
use tests::firmware::{EngineProc, ScannerAgentProc};
use tests::{hubapi, wait_until, HubPorts, HubProc};

const SCRIPT: &str = "\
# a receiving and picking shift on one rack
MODE:receive
LOC:A-01
]C10109506000134352<GS>10LOT-1<GS>3712
@double ]C10109506000134352<GS>10LOT-2<GS>21S-2<GS>376
@noise 40
@disconnect
]E04006381333931
MODE:pick
(01)09506000134352(10)LOT-1(37)2
]C10109506000134353
";

/// Good beeps: 2 mode cards, 1 rack label, 4 movements; error beeps (3
/// pulses each): the noise and the bad check digit. The double read is silent.
const BEEPS: usize = 2 + 1 + 4 + 2 * 3;

#[test]
fn engine_to_agent_to_hub_over_a_pty() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("shift.txt");
    std::fs::write(&script, SCRIPT).unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(&dir.path().join("hub"), ports, "s1");
    let creds = hub.provision(&["gun-1"]);
    let engine = EngineProc::start(&dir.path().join("scanner"), &script);
    let agent = ScannerAgentProc::start(
        &dir.path().join("agent"),
        &ports.mqtt_addr(),
        &creds,
        "gun-1",
        &engine.link,
    );

    check_answers(&agent, &engine);

    let beeps = wait_until("every beep", Duration::from_secs(10), || {
        Some(engine.events.count("beeper on")).filter(|&n| n >= BEEPS)
    });
    assert_eq!(beeps, Ok(BEEPS), "events: {:?}", engine.events.all());
    assert_eq!(engine.events.count("sent double"), 1);
    assert_eq!(engine.events.count("disconnected"), 1);
    assert_eq!(
        engine.events.count("configure"),
        2,
        "the agent reopened the line"
    );

    let http = ports.http_addr();
    wait_until("hub applied 4", Duration::from_secs(20), || {
        hubapi::watermark(http, "gun-1").ok().filter(|&w| w == 4)
    })
    .unwrap();
    let stock = hubapi::stock(http).unwrap();
    let row = |sku: &str, lot: &str| {
        stock
            .get(&(sku.to_string(), "A-01".to_string(), lot.to_string()))
            .copied()
    };
    assert_eq!(
        row("09506000134352", "LOT-1"),
        Some(10),
        "12 received, 2 picked"
    );
    assert_eq!(
        row("09506000134352", "LOT-2"),
        Some(6),
        "the double read counted once"
    );
    assert_eq!(row("04006381333931", ""), Some(1), "EAN-13 as GTIN-14");
    drop(agent);
    drop(engine);
    assert!(hub.terminate());
}

/// One answer line per movement or refusal, in order.
fn check_answers(agent: &ScannerAgentProc, engine: &EngineProc) {
    let want_answers = [
        "ok seq=1",
        "ok seq=2",
        "error: barcode read is not text",
        "ok seq=3",
        "ok seq=4",
        "error: bad check digit in GTIN-14 (01): expected 2, found 3",
    ];
    let answers = wait_until("every read answered", Duration::from_secs(30), || {
        let all = agent.answers.all();
        (all.len() >= want_answers.len()).then_some(all)
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}: agent said {:?}, engine {:?}",
            agent.answers.all(),
            engine.events.all()
        )
    });
    // Noise is random bytes: it may also be text that is no barcode.
    assert_eq!(answers.len(), want_answers.len(), "{answers:?}");
    for (got, want) in answers.iter().zip(want_answers) {
        if want.starts_with("error: barcode read") {
            assert!(got.starts_with("error: "), "{got}");
        } else {
            assert_eq!(got, want);
        }
    }
}
