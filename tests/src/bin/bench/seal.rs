//! `bench seal`: the CPU cost of the sealed hub-to-device envelope
//! (promise 10), per ack: sealing on the hub, opening on the device,
//! against the plain encode it replaced, measured in the same run. The
//! end-to-end effect (`bench latency`, `bench ingest` before and after)
//! drowns in this machine's noise; this is the part sealing adds.
//!
//! Target: seal plus open of one ack under 1 % of the hub's 5 ms share of
//! scan-to-ack (DESIGN.md), i.e. 50 µs.

use crate::stats::verdict;
use protocol::sealed::{open, seal, FrameCounter, Recipient};
use protocol::{encode, Ack, DeviceKey, Message, SealKey};
use std::hint::black_box;
use std::time::Instant;

const LIMIT_NS: f64 = 50_000.0;

fn ack(through_seq: u64) -> Message {
    Message::Ack(Ack {
        site: "site-1".into(),
        device: "hh-0042".into(),
        epoch: 0x5eed,
        through_seq,
    })
}

/// Nanoseconds per call of `f` over `n` calls.
fn per_call(n: u64, mut f: impl FnMut(u64)) -> f64 {
    let started = Instant::now();
    for i in 0..n {
        f(i);
    }
    started.elapsed().as_nanos() as f64 / n as f64
}

/// Runs `rounds` rounds of `frames` acks; true when every round is inside
/// the target.
pub fn run(frames: u64, rounds: u32) -> anyhow::Result<bool> {
    let device_key = DeviceKey::from_bytes([7; 32]);
    let key = SealKey::derive(&device_key);
    let to = Recipient {
        site: "site-1",
        device: "hh-0042",
        topic: "wms/site-1/dev/hh-0042/ack",
        key_version: 1,
    };
    let frame = |i: u64| {
        let counter = FrameCounter {
            boot: 1,
            counter: i + 1,
        };
        seal(&key, &to, counter, [3; 12], &ack(i))
    };
    let sample = frame(0)?;
    let mut all_ok = true;
    for round in 1..=rounds {
        let plain = per_call(frames, |i| {
            black_box(encode(&ack(i)));
        });
        let sealed = per_call(frames, |i| {
            black_box(frame(i).ok());
        });
        let opened = per_call(frames, |_| {
            black_box(open(&key, &to, &sample).ok());
        });
        let derive = per_call(frames / 10, |_| {
            black_box(SealKey::derive(&device_key));
        });
        let cost = sealed + opened;
        let ok = cost < LIMIT_NS;
        all_ok &= ok;
        println!(
            "seal round {round}: plain encode {plain:.0} ns, seal {sealed:.0} ns, open {opened:.0} ns, \
             key derive {derive:.0} ns (cached per device), frame {} B; seal+open {cost:.0} ns, \
             ratio {:.4} of the {LIMIT_NS:.0} ns limit: {}",
            sample.len(),
            cost / LIMIT_NS,
            verdict(ok)
        );
    }
    Ok(all_ok)
}
