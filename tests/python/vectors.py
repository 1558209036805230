"""Runs every test vector of protocol/WIRE.md, parsed out of the document
itself, against this directory's codec and crypto: good frames both ways
(section 6.1 to 6.3), must-reject frames (6.4), auth tags (6.5), the
sealing key (7.1) and sealed frames (7.4), plus the replay rule (7.5).

The expected values of the good vectors are transcribed from their
`message:` lines (the document says tests do not parse those lines).
"""

import re

import crypto
import wire
from wire import (Ack, EventBatch, JobResult, LabelJob, LabelReport, Movement, Status, TaskAck,
                  TaskEntry, TaskLine, TaskList)

E = 0x0123456789ABCDEF
U64_MAX = (1 << 64) - 1


def _batch(epoch, first_seq, movements, tag=None):
    return EventBatch("s1", "d1", epoch, first_seq, movements, tag)


def _receive_putaway():
    receive = Movement(7, "receive", "SKU-1", "DOCK", 10, lot="L7")
    putaway = Movement(8, "putaway", "SKU-1", "DOCK", 10, "A-01", "L7", 1001)
    return _batch(2, 7, [receive, putaway])


def _move_adjust_count():
    return _batch(3, 20, [
        Movement(20, "move", "SKU-2", "A-01", 4, to_location="B-02"),
        Movement(21, "adjust", "SKU-2", "B-02", -3),
        Movement(22, "count", "SKU-2", "A-01", 0),
    ])


def _pick_task_pack():
    return _batch(1, 5, [
        Movement(5, "pick", "SKU-3", "C-10", 1, task="T-9"),
        Movement(6, "pack", "SKU-3", "PACK-1", 1, task="T-9"),
    ])


def _large():
    seq = 1 << 40
    m = Movement(seq, "adjust", "SKU-4", "Z-99", -1_000_000, device_time_ms=1_735_689_600_123)
    return _batch(U64_MAX, seq, [m])


def _pick_count():
    pick = TaskEntry(1042, "pick", [
        TaskLine(0, "SKU-1", "A-01", 2, lot="L7", order=77),
        TaskLine(1, "SKU-3", "C-10", 5, done=1, order=78),
    ], remarks="fragile")
    count = TaskEntry(1043, "count", [TaskLine(0, "SKU-2", "B-02", 0)])
    return TaskList("s1", "d1", 300, [pick, count])


EXPECTED = {
    "ack-basic": lambda: Ack("s1", "d1", E, 300),
    "ack-zero": lambda: Ack("wh-berlin", "hh-007", 1, 0),
    "ack-max-seq": lambda: Ack("s1", "d1", U64_MAX, U64_MAX),
    "status-online-battery": lambda: Status(
        "s1", "d1", 1_699_999_995_000, wire.ONLINE, 3, 87, 1_700_000_000_000,
        E, 300, "1.4.2", -67),
    "status-offline-no-battery": lambda: Status(
        "s1", "d1", 0, wire.OFFLINE, 0, None, 0, 0, 0, "v", None),
    "status-battery-raw-u8": lambda: Status(
        "s1", "d1", 1, wire.ONLINE, 128, 200, 1, 1, 0, "0.1.0", -150),
    "status-last-will": lambda: Status(
        "s1", "d1", 1_700_000_001_000, wire.OFFLINE, 0, None, 1_700_000_001_000,
        E, 297, "1.4.2", -71),
    "batch-pick-single": lambda: _batch(E, 1, [Movement(1, "pick", "SKU-1", "A-01", 2)]),
    "batch-receive-lot-putaway": _receive_putaway,
    "batch-move-adjust-count": _move_adjust_count,
    "batch-pick-task-pack": _pick_task_pack,
    "batch-large-seq-time": _large,
    "batch-auth-tag": lambda: _batch(
        E, 1, [Movement(1, "pick", "SKU-1", "A-01", 2)], bytes(range(32))),
    "tasklist-pick-count": _pick_count,
    "tasklist-empty": lambda: TaskList("s1", "d1", 1),
    "taskack-basic": lambda: TaskAck("s1", "d1", 300),
    "batch-ship": lambda: _batch(1, 1, [Movement(1, "ship", "SF1001", "DOCK-1", 1)]),
    "labeljob-basic": lambda: LabelJob("s1", "ps1", 501, 12, 1, 2, 77, "SF1001", 60_000,
                                       "^XA^FO50,50^A0N,40,40^FDA-1001^FS^XZ"),
    "labelreport-mixed": lambda: LabelReport("s1", "ps1", [
        JobResult(501, "printed", 1000),
        JobResult(502, "failed", 1001, "paper_out"),
        JobResult(503, "queued", 1002),
        JobResult(504, "unsure", 1003, "head_open"),
    ]),
}

KEYS = {"name", "message", "hex", "error", "key", "result", "site", "device", "topic",
        "key_version", "boot", "counter", "salt", "epoch", "through", "plain"}
KINDS = ("vector", "bad-vector", "auth-vector", "sealed-vector")


def blocks(text):
    """(kind, {key: value}) for every fenced vector block; a line without a
    known key continues the previous value (long hex)."""
    out, current, last = [], None, None
    for line in text.splitlines():
        s = line.strip()
        if current is None:
            if s.startswith("```") and s[3:] in KINDS:
                current, last = (s[3:], {}), None
            continue
        if s == "```":
            out.append(current)
            current = None
            continue
        key, sep, value = s.partition(":")
        if sep and key in KEYS:
            current[1][key] = value.strip()
            last = key
        elif s:
            current[1][last] += " " + s
    if current is not None:
        raise ValueError("WIRE.md ends inside a vector block")
    return out


def unhex(text):
    return bytes(int(t, 16) for t in text.split())


class Tally:
    """Counts checks; keeps the failures' descriptions."""

    def __init__(self):
        self.passed, self.failures = 0, []

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
        return ok


def _good(t, f):
    name, frame = f["name"], unhex(f["hex"])
    if not t.check(name in EXPECTED, f"vector {name}: unknown to the Python suite"):
        return
    want = EXPECTED[name]()
    t.check(wire.encode(want) == frame, f"vector {name}: encode differs")
    try:
        t.check(wire.decode(frame) == want, f"vector {name}: decode differs")
    except wire.DecodeError as e:
        t.check(False, f"vector {name}: decode failed: {e}")


def _bad(t, f):
    try:
        got = wire.decode(unhex(f["hex"]))
        t.check(False, f"bad-vector {f['name']}: decoded as {got}")
    except wire.DecodeError as e:
        t.check(e.name == f["error"], f"bad-vector {f['name']}: {e.name}, want {f['error']}")


def _auth(t, f):
    name, key, frame = f["name"], unhex(f["key"]), unhex(f["hex"])
    got = crypto.verify(key, frame)
    t.check(got == f["result"], f"auth-vector {name}: {got}, want {f['result']}")
    if f["result"] == "ok":
        signed = crypto.sign(key, EXPECTED[name]())
        t.check(signed == frame, f"auth-vector {name}: signing gives other bytes")


def _sealed(t, f, opened):
    name, key = f["name"], unhex(f["key"])
    who = (f["site"], f["device"], f["topic"], int(f["key_version"]))
    try:
        boot, counter, msg = crypto.open_sealed(key, *who, unhex(f["hex"]))
    except crypto.SealError as e:
        t.check(e.name == f["result"], f"sealed-vector {name}: {e.name}, want {f['result']}")
        return
    if not t.check(f["result"] == "ok", f"sealed-vector {name}: opened, want {f['result']}"):
        return
    at = (int(f["boot"]), int(f["counter"]))
    if "plain" in f:
        want = wire.decode(unhex(f["plain"]))
    else:
        want = Ack(f["site"], f["device"], int(f["epoch"]), int(f["through"]))
    t.check((boot, counter) == at and msg == want, f"sealed-vector {name}: opened {msg}")
    salt = unhex(f["salt"])
    again = crypto.seal(key, *who, at[0], at[1], salt, want)
    t.check(again == unhex(f["hex"]), f"sealed-vector {name}: sealing gives other bytes")
    opened.append(at)


def _seal_key(t, text):
    documented = re.search(r"`seal_key` is\s+`([0-9a-f ]+)`", text)
    derived = crypto.seal_key(bytes(range(32))).hex(" ")
    t.check(documented is not None and documented.group(1).split() == derived.split(),
            "section 7.1: the documented seal_key is not HMAC(key, label)")


def _replays(t, opened):
    """Section 7.5 on the good sealed frames: in document order each is
    newer than the one before; taken again, or in reverse, it is refused."""
    if not t.check(len(opened) >= 2, "fewer than 2 good sealed vectors for the replay rule"):
        return
    guard = crypto.ReplayGuard()
    t.check(all(guard.admit(*at) for at in opened), "replay: document order refused")
    t.check(not guard.admit(*opened[-1]), "replay: the same frame twice was taken")
    back = crypto.ReplayGuard()
    back.admit(*opened[-1])
    t.check(not back.admit(*opened[0]), "replay: an older frame was taken")


def run(path):
    """Runs everything; returns (Tally, counts per block kind)."""
    text = open(path, encoding="utf-8").read()
    t, counts, opened = Tally(), {k: 0 for k in KINDS}, []
    for kind, f in blocks(text):
        counts[kind] += 1
        {"vector": _good, "bad-vector": _bad, "auth-vector": _auth}.get(
            kind, lambda t, f: _sealed(t, f, opened))(t, f)
    _seal_key(t, text)
    _replays(t, opened)
    missing = set(EXPECTED) - {f["name"] for k, f in blocks(text) if k == "vector"}
    t.check(not missing, f"vectors missing from WIRE.md: {sorted(missing)}")
    for kind, least in [("vector", 12), ("bad-vector", 15), ("auth-vector", 6),
                        ("sealed-vector", 8)]:
        t.check(counts[kind] >= least, f"only {counts[kind]} {kind} blocks in WIRE.md")
    return t, counts
