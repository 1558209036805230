"""Plain frames of protocol/WIRE.md (sections 1 to 4), written from the
document alone: the postcard subset it describes, the messages, and the
decoder errors of section 1. No third-party code; stdlib only.

Why its own module: the vector checks and the live device both need the
codec, and keeping it apart shows exactly what a stranger had to write.
"""

from dataclasses import dataclass, field
from typing import List, Optional

VERSION = 0x01
KINDS = ["receive", "putaway", "move", "pick", "pack", "adjust", "count", "ship", "return"]
OUTCOMES = ["queued", "printed", "failed", "unsure"]
TASK_KINDS = ["pick", "count"]
ONLINE, OFFLINE = 0, 1
MAX_VARINT_BYTES = 10


class DecodeError(Exception):
    """A frame that is not one message. `name` is the section 1 error word."""

    def __init__(self, name: str, detail: str = ""):
        super().__init__(f"{name}: {detail}" if detail else name)
        self.name = name


@dataclass
class Movement:
    seq: int
    kind: str
    sku: str
    location: str
    quantity: int
    to_location: Optional[str] = None
    lot: Optional[str] = None
    device_time_ms: int = 1000
    task: Optional[str] = None


@dataclass
class EventBatch:
    site: str
    device: str
    epoch: int
    first_seq: int
    movements: List[Movement] = field(default_factory=list)
    auth_tag: Optional[bytes] = None


@dataclass
class Ack:
    site: str
    device: str
    epoch: int
    through_seq: int


@dataclass
class Status:
    site: str
    device: str
    session_ms: int
    state: int
    backlog: int
    battery_pct: Optional[int]
    device_time_ms: int
    epoch: int
    acked_seq: int
    app_version: str
    signal_dbm: Optional[int]
    auth_tag: Optional[bytes] = None


@dataclass
class TaskLine:
    line: int
    sku: str
    location: str
    quantity: int
    done: int = 0
    lot: Optional[str] = None
    order: Optional[int] = None


@dataclass
class TaskEntry:
    task: int
    kind: str
    lines: List[TaskLine] = field(default_factory=list)
    order: Optional[int] = None
    remarks: Optional[str] = None


@dataclass
class TaskList:
    site: str
    device: str
    version: int
    tasks: List[TaskEntry] = field(default_factory=list)


@dataclass
class TaskAck:
    site: str
    device: str
    version: int
    auth_tag: Optional[bytes] = None


@dataclass
class LabelJob:
    site: str
    station: str
    job: int
    batch: int
    position: int
    batch_size: int
    order: int
    tracking: str
    valid_ms: int
    zpl: str

    @property
    def device(self):
        # Sealed to the station as to a device (section 7.4).
        return self.station


@dataclass
class JobResult:
    job: int
    outcome: str
    at_ms: int
    reason: Optional[str] = None


@dataclass
class LabelReport:
    site: str
    station: str
    results: List[JobResult] = field(default_factory=list)
    auth_tag: Optional[bytes] = None

    @property
    def device(self):
        return self.station


# Message variant indexes (section 3.1).
INDEX = {EventBatch: 0, Ack: 1, Status: 2, TaskList: 3, LabelJob: 4, LabelReport: 5, TaskAck: 6}


# ---------------------------------------------------------------- encoding


def varint(n: int) -> bytes:
    if n < 0 or n >= 1 << 64:
        raise ValueError(f"varint out of range: {n}")
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def unzigzag(z: int) -> int:
    return (z >> 1) ^ -(z & 1)


def _i16(n: int) -> bytes:
    if not -(1 << 15) <= n < 1 << 15:
        raise ValueError(f"i16 out of range: {n}")
    return varint(zigzag(n))


def _string(s: str) -> bytes:
    raw = s.encode("utf-8")
    return varint(len(raw)) + raw


def _opt(value, enc) -> bytes:
    return b"\x00" if value is None else b"\x01" + enc(value)


def _tag(tag: Optional[bytes]) -> bytes:
    if tag is not None and len(tag) != 32:
        raise ValueError("an auth tag is 32 bytes")
    return _opt(tag, lambda t: t)


def _movement(m: Movement) -> bytes:
    return b"".join(
        [
            varint(m.seq),
            varint(KINDS.index(m.kind)),
            _string(m.sku),
            _string(m.location),
            _opt(m.to_location, _string),
            _opt(m.lot, _string),
            varint(zigzag(m.quantity)),
            varint(m.device_time_ms),
            _opt(m.task, _string),
        ]
    )


def _task_line(t: TaskLine) -> bytes:
    return b"".join(
        [
            varint(t.line),
            _string(t.sku),
            _string(t.location),
            _opt(t.lot, _string),
            varint(zigzag(t.quantity)),
            varint(zigzag(t.done)),
            _opt(t.order, varint),
        ]
    )


def _task_entry(t: TaskEntry) -> bytes:
    return b"".join(
        [
            varint(t.task),
            varint(TASK_KINDS.index(t.kind)),
            _opt(t.order, varint),
            _opt(t.remarks, _string),
            varint(len(t.lines)),
            b"".join(_task_line(x) for x in t.lines),
        ]
    )


def _job_result(x: JobResult) -> bytes:
    outcome = varint(OUTCOMES.index(x.outcome))
    if x.outcome in ("failed", "unsure"):
        outcome += _string(x.reason or "")
    return varint(x.job) + outcome + varint(x.at_ms)


def encode(message) -> bytes:
    """The whole frame: version byte, variant index, fields in order."""
    head = bytes([VERSION]) + varint(INDEX[type(message)])
    m = message
    if isinstance(m, Ack):
        body = _string(m.site) + _string(m.device) + varint(m.epoch) + varint(m.through_seq)
    elif isinstance(m, TaskList):
        body = b"".join(
            [
                _string(m.site),
                _string(m.device),
                varint(m.version),
                varint(len(m.tasks)),
                b"".join(_task_entry(x) for x in m.tasks),
            ]
        )
    elif isinstance(m, TaskAck):
        body = _string(m.site) + _string(m.device) + varint(m.version) + _tag(m.auth_tag)
    elif isinstance(m, LabelJob):
        body = b"".join([_string(m.site), _string(m.station), varint(m.job), varint(m.batch),
                         varint(m.position), varint(m.batch_size), varint(m.order),
                         _string(m.tracking), varint(m.valid_ms), _string(m.zpl)])
    elif isinstance(m, LabelReport):
        body = b"".join([_string(m.site), _string(m.station), varint(len(m.results)),
                         b"".join(_job_result(x) for x in m.results), _tag(m.auth_tag)])
    elif isinstance(m, Status):
        body = b"".join(
            [
                _string(m.site),
                _string(m.device),
                varint(m.session_ms),
                varint(m.state),
                varint(m.backlog),
                _opt(m.battery_pct, lambda b: bytes([b])),
                varint(m.device_time_ms),
                varint(m.epoch),
                varint(m.acked_seq),
                _string(m.app_version),
                _opt(m.signal_dbm, _i16),
                _tag(m.auth_tag),
            ]
        )
    else:
        body = b"".join(
            [
                _string(m.site),
                _string(m.device),
                varint(m.epoch),
                varint(m.first_seq),
                varint(len(m.movements)),
                b"".join(_movement(x) for x in m.movements),
                _tag(m.auth_tag),
            ]
        )
    return head + body


# ---------------------------------------------------------------- decoding


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise DecodeError("Truncated", f"need {n} bytes at {self.pos}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def byte(self) -> int:
        return self.take(1)[0]

    def varint(self) -> int:
        value = 0
        for i in range(MAX_VARINT_BYTES):
            b = self.byte()
            if i == MAX_VARINT_BYTES - 1 and b > 0x01:
                raise DecodeError("Malformed", "varint too long or too large")
            value |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                return value
        raise DecodeError("Malformed", "varint too long")

    def i16(self) -> int:
        """Section 2: zigzag in a varint of at most 3 bytes, the 3rd at most 03."""
        value = 0
        for i in range(3):
            b = self.byte()
            if i == 2 and b > 0x03:
                raise DecodeError("Malformed", "i16 varint too long or too large")
            value |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                return unzigzag(value)
        raise DecodeError("Malformed", "i16 varint too long")

    def index(self, limit: int, what: str) -> int:
        i = self.varint()
        if i > 0xFFFFFFFF or i >= limit:
            raise DecodeError("Malformed", f"unknown {what} index {i}")
        return i

    def string(self) -> str:
        raw = self.take(self.varint())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("Malformed", "invalid UTF-8") from None

    def option(self, read):
        tag = self.byte()
        if tag == 0:
            return None
        if tag == 1:
            return read()
        raise DecodeError("Malformed", f"Option tag {tag:02x}")


def _read_movement(r: _Reader) -> Movement:
    seq = r.varint()
    kind = KINDS[r.index(len(KINDS), "movement kind")]
    sku, location = r.string(), r.string()
    to_location, lot = r.option(r.string), r.option(r.string)
    quantity = unzigzag(r.varint())
    time_ms = r.varint()
    task = r.option(r.string)
    return Movement(seq, kind, sku, location, quantity, to_location, lot, time_ms, task)


def _read_task_line(r: _Reader) -> TaskLine:
    line, sku, location, lot = r.varint(), r.string(), r.string(), r.option(r.string)
    quantity, done = unzigzag(r.varint()), unzigzag(r.varint())
    if line > 0xFFFFFFFF:
        raise DecodeError("Malformed", "line number above u32")
    return TaskLine(line, sku, location, quantity, done, lot, r.option(r.varint))


def _read_task_entry(r: _Reader) -> TaskEntry:
    task, kind = r.varint(), TASK_KINDS[r.index(len(TASK_KINDS), "task kind")]
    order, remarks, count = r.option(r.varint), r.option(r.string), r.varint()
    lines = [_read_task_line(r) for _ in range(count)]
    return TaskEntry(task, kind, lines, order, remarks)


def _read_job_result(r: _Reader) -> JobResult:
    job, outcome = r.varint(), OUTCOMES[r.index(len(OUTCOMES), "job outcome")]
    reason = r.string() if outcome in ("failed", "unsure") else None
    return JobResult(job, outcome, r.varint(), reason)


def _read_label(r: _Reader, variant: int, site: str, station: str):
    if variant == 4:
        job, batch, position, size, order = (r.varint() for _ in range(5))
        tracking, valid_ms, zpl = r.string(), r.varint(), r.string()
        return LabelJob(site, station, job, batch, position, size, order, tracking, valid_ms, zpl)
    count = r.varint()
    results = [_read_job_result(r) for _ in range(count)]
    return LabelReport(site, station, results, r.option(lambda: r.take(32)))


def _read_message(r: _Reader):
    variant = r.index(7, "message")
    site, device = r.string(), r.string()
    if variant in (4, 5):
        return _read_label(r, variant, site, device)
    if variant == 1:
        return Ack(site, device, r.varint(), r.varint())
    if variant == 3:
        version, count = r.varint(), r.varint()
        return TaskList(site, device, version, [_read_task_entry(r) for _ in range(count)])
    if variant == 6:
        return TaskAck(site, device, r.varint(), r.option(lambda: r.take(32)))
    if variant == 2:
        session, state = r.varint(), r.index(2, "device state")
        backlog, battery, time_ms = r.varint(), r.option(r.byte), r.varint()
        epoch, acked, version = r.varint(), r.varint(), r.string()
        signal = r.option(r.i16)
        return Status(site, device, session, state, backlog, battery, time_ms,
                      epoch, acked, version, signal, r.option(lambda: r.take(32)))
    epoch, first_seq, count = r.varint(), r.varint(), r.varint()
    # No preallocation from the count: it is untrusted (2^32 - 1 must be
    # Truncated, not an out-of-memory).
    movements = []
    for _ in range(count):
        movements.append(_read_movement(r))
    return EventBatch(site, device, epoch, first_seq, movements, r.option(lambda: r.take(32)))


def decode(frame: bytes):
    """One message from a whole plain frame, or DecodeError."""
    if not frame:
        raise DecodeError("Empty")
    if frame[0] != VERSION:
        raise DecodeError("UnknownVersion", f"{frame[0]:02x}")
    r = _Reader(frame)
    r.pos = 1
    message = _read_message(r)
    if r.pos != len(frame):
        raise DecodeError("TrailingBytes", f"{len(frame) - r.pos} left")
    return message


# ---------------------------------------------------------------- validation

MAX_ID_LEN = 64
MAX_QUANTITY = 1_000_000


def valid_id(s: str) -> bool:
    raw = s.encode("utf-8")
    return (
        1 <= len(raw) <= MAX_ID_LEN
        and all(0x21 <= b <= 0x7E for b in raw)
        and not any(c in s for c in "/+#")
    )
