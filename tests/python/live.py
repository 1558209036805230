"""The live round trip against a running hub (WIRE.md sections 3.9, 7, 8
and 10), as one device: a refused login, a signed status, a new journal
epoch, batches, a duplicate resend, a tampered frame, a gap and a
conflict (none of which may be acknowledged), a forged plain ack and a
replayed sealed ack (neither may be taken), then the clean Offline.

Every wait is on a condition with a deadline. The movements the hub
should have applied are written to a JSON report for the Rust test.
"""

import json
import os

import wire
from device import Device, Failure, now_ms
from wire import Movement

LOT = "PYL1"


def scans(now):
    """Seqs 1 to 7 of the scenario; 7 is sent tampered first."""
    return [
        Movement(1, "receive", "PY-SKU-1", "PY-DOCK", 10, lot=LOT, device_time_ms=now),
        Movement(2, "putaway", "PY-SKU-1", "PY-DOCK", 6, "PY-A-01", LOT, now + 1),
        Movement(3, "receive", "PY-SKU-2", "PY-A-02", 5, device_time_ms=now + 2),
        Movement(4, "pick", "PY-SKU-1", "PY-A-01", 2, lot=LOT, device_time_ms=now + 3,
                 task="PY-T-1"),
        Movement(5, "adjust", "PY-SKU-2", "PY-A-02", -1, device_time_ms=now + 4),
        Movement(6, "count", "PY-SKU-2", "PY-A-03", 7, device_time_ms=now + 5),
        Movement(7, "move", "PY-SKU-2", "PY-A-03", 2, "PY-A-04", device_time_ms=now + 6),
    ]


def new_epoch():
    """Section 3.9: random, non-zero, from the OS's random source."""
    while True:
        epoch = int.from_bytes(os.urandom(8), "little")
        if epoch:
            return epoch


class Steps:
    """Runs named steps; a failed step stops the scenario (later steps
    depend on it) and is reported."""

    def __init__(self, log):
        self.log, self.passed, self.failed = log, 0, []

    def step(self, name, fn):
        if self.failed:
            return None
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001 -- any failure is this step's, reported
            self.failed.append(f"{name}: {e}")
            self.log(f"FAIL {name}: {e}")
            return None
        self.passed += 1
        self.log(f"ok   {name}")
        return result


def _refused_login(dev):
    if dev.connect(password="0" * 64):
        raise Failure("a wrong password got a successful CONNACK")


def _connect(dev):
    if not dev.connect():
        raise Failure("refused at login with the credentials file's secrets")
    dev.status(wire.ONLINE, 0)


def _send(dev, first, moves, through, what):
    before = dev.taken()
    dev.publish(dev.events, dev.batch_frame(first, moves))
    return dev.wait_ack(before, through, what)


def _no_ack_for_bad_frames(dev, m):
    """Tampered seq 7, gap at 9, conflicting seq 1: no ack. A duplicate of
    4..6 sent after them is the marker: once its ack (6) is in, every ack
    since the bad frames must be that 6 (acks follow publish order)."""
    before = dev.taken()
    good = dev.batch_frame(7, [m[6]])
    forged = wire.encode(wire.EventBatch(dev.site, dev.device, dev.epoch, 7, [
        Movement(**{**m[6].__dict__, "quantity": 3})]))[:-1] + good[-33:]
    dev.publish(dev.events, forged)
    gap = Movement(9, "receive", "PY-SKU-1", "PY-DOCK", 1, device_time_ms=m[6].device_time_ms)
    dev.publish(dev.events, dev.batch_frame(9, [gap]))
    other = Movement(**{**m[0].__dict__, "quantity": 11})
    dev.publish(dev.events, dev.batch_frame(1, [other]))
    dev.publish(dev.events, dev.batch_frame(4, m[3:6]))
    dev.wait_ack(before, 6, "the marker's ack (6)")
    with dev.lock:
        got = [a[2].through_seq for a in dev.acks[before:]]
    if any(t != 6 for t in got):
        raise Failure(f"acks after tampered/gap/conflict frames: {got} (only 6 allowed)")


def _forged_and_replayed(dev):
    plain = wire.encode(wire.Ack(dev.site, dev.device, dev.epoch, 1000))
    before = dev.refusals("UnknownVersion")
    dev.publish(dev.ack_topic, plain)
    dev.wait("the plain ack refused", lambda: dev.refused.get("UnknownVersion", 0) > before)
    before = dev.refusals("Replayed")
    dev.publish(dev.ack_topic, dev.last_frame)
    dev.wait("the replayed ack refused", lambda: dev.refused.get("Replayed", 0) > before)


def run(credentials, device, host, port, report, log):
    dev = Device(credentials, device, host, port)
    dev.epoch = new_epoch()
    m = scans(now_ms())
    s = Steps(log)
    s.step("a wrong password is refused at login (no CONNACK)", lambda: _refused_login(dev))
    s.step("connect, subscribe, signed Online status", lambda: _connect(dev))
    s.step("batch 1..3 in a new epoch is acked through 3",
           lambda: _send(dev, 1, m[0:3], 3, "ack 3"))
    s.step("batch 4..6 is acked through 6", lambda: _send(dev, 4, m[3:6], 6, "ack 6"))
    s.step("resend 1..3 (duplicate) is acked through 3",
           lambda: _send(dev, 1, m[0:3], 3, "duplicate ack 3"))
    s.step("tampered, gap and conflict batches get no ack",
           lambda: _no_ack_for_bad_frames(dev, m))
    s.step("the genuine seq 7 is acked through 7", lambda: _send(dev, 7, m[6:7], 7, "ack 7"))
    s.step("a plain ack and a replayed sealed ack are refused",
           lambda: _forged_and_replayed(dev))
    s.step("signed Offline status and disconnect", dev.disconnect)
    with open(report, "w", encoding="utf-8") as f:
        json.dump({
            "device": device,
            "epoch": f"{dev.epoch:016x}",
            "through": max((a[2].through_seq for a in dev.acks), default=0),
            "acks_taken": len(dev.acks),
            "refused": dev.refused,
            "movements": [x.__dict__ for x in m],
        }, f, indent=1)
    return s
