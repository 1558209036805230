"""A device over MQTT, written from protocol/WIRE.md sections 8 and 10:
paho-mqtt 3.1.1 over TCP, its own client id and login, a signed last
will, one QoS 1 subscription to its ack topic, signed statuses and
batches, and sealed acks opened, replay-checked and epoch-checked.

It keeps every frame it received and why it was taken or refused, so
the scenario in live.py can wait on conditions with deadlines.
"""

import json
import threading
import time

import paho.mqtt.client as mqtt

import crypto
import wire

# Section 3.6: the software version every status carries.
APP_VERSION = "py-1.0"


class Failure(Exception):
    """The hub or the broker did not do what WIRE.md says."""


def load_credentials(path, device):
    """The entry of `device` in a credentials file (section 8.1)."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    fields = {"device", "site", "username", "password", "key", "key_version"}
    for entry in doc["devices"]:
        if entry["device"] != device:
            continue
        if set(entry) != fields:
            raise Failure(f"credentials entry has fields {sorted(entry)}")
        key = bytes.fromhex(entry["key"].strip())
        ids_ok = all(wire.valid_id(i) and "$" not in i for i in (entry["site"], device))
        if len(key) != 32 or entry["username"] != device or not entry["password"] or not ids_ok:
            raise Failure("credentials entry is not as section 8.1 describes")
        return entry["site"], entry["password"], key, int(entry["key_version"])
    raise Failure(f"no entry for {device} in {path}")


def now_ms():
    return int(time.time() * 1000)


class Device:
    def __init__(self, credentials, device, host, port, keepalive=5):
        self.device = device
        self.site, self.password, self.key, self.key_version = load_credentials(
            credentials, device)
        self.host, self.port, self.keepalive = host, port, keepalive
        base = f"wms/{self.site}/dev/{device}"
        self.events, self.status_topic, self.ack_topic = (
            f"{base}/events", f"{base}/status", f"{base}/ack")
        self.lock = threading.Condition()
        self.acks = []  # (boot, counter, Ack) taken, in arrival order
        self.refused = {}  # refusal word -> count
        self.connack = None
        self.closed = False
        self.subscribed = False
        self.guard = crypto.ReplayGuard()
        self.session = 0
        self.stamp = 0
        self.epoch = None
        self.last_frame = None

    # ------------------------------------------------------------ waiting

    def wait(self, what, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f"timed out after {timeout}s waiting for {what}")
                self.lock.wait(left)

    # ------------------------------------------------------------ statuses

    def _next_stamp(self):
        self.stamp = max(now_ms(), self.stamp + 1)
        return self.stamp

    def acked(self):
        """The highest through_seq taken in the current epoch (0: none)."""
        with self.lock:
            return max((a[2].through_seq for a in self.acks if a[2].epoch == self.epoch),
                       default=0)

    def _status(self, state, backlog, time_ms):
        # Section 3.6: the epoch (0 before there is one), the acked seq,
        # this client's version; no radio to ask, so no signal.
        s = wire.Status(self.site, self.device, self.session, state, backlog, None, time_ms,
                        self.epoch or 0, self.acked(), APP_VERSION, None)
        return crypto.sign(self.key, s)

    def status(self, state, backlog):
        frame = self._status(state, backlog, self._next_stamp())
        self.client.publish(self.status_topic, frame, qos=1, retain=False).wait_for_publish(10)

    # ------------------------------------------------------------ connection

    def _client(self, password):
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"agent-{self.site}-{self.device}",
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        c.username_pw_set(self.device, password)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        return c

    def connect(self, password=None):
        """Connects (a new status session and last will first); returns
        True on CONNACK success, False if the broker closed the connection
        without one (refused at login, section 8.2)."""
        self.session = self._next_stamp()
        with self.lock:
            self.connack, self.closed, self.subscribed = None, False, False
        self.client = self._client(password or self.password)
        will = self._status(wire.OFFLINE, 0, self.session)
        self.client.will_set(self.status_topic, will, qos=1, retain=False)
        self.client.connect(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()
        self.wait("CONNACK or close", lambda: self.connack is not None or self.closed)
        if self.connack is None or self.connack.is_failure:
            self.client.loop_stop()
            return False
        self.client.subscribe(self.ack_topic, qos=1)
        self.wait("SUBACK", lambda: self.subscribed)
        return True

    def disconnect(self):
        self.status(wire.OFFLINE, 0)
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason, properties):
        with self.lock:
            self.connack = reason
            self.lock.notify_all()

    def _on_disconnect(self, client, userdata, flags, reason, properties):
        with self.lock:
            self.closed = True
            self.lock.notify_all()

    def _on_subscribe(self, client, userdata, mid, reasons, properties):
        with self.lock:
            self.subscribed = all(not r.is_failure for r in reasons)
            self.lock.notify_all()

    # ------------------------------------------------------------ acks

    def _on_message(self, client, userdata, msg):
        verdict = self._judge(msg.topic, bytes(msg.payload), msg.retain)
        with self.lock:
            if isinstance(verdict, str):
                self.refused[verdict] = self.refused.get(verdict, 0) + 1
            else:
                self.acks.append(verdict)
                self.last_frame = bytes(msg.payload)
            self.lock.notify_all()

    def _judge(self, topic, payload, retained):
        """Section 10 "Acks": an accepted (boot, counter, Ack) or a refusal word."""
        if retained:
            return "Retained"
        try:
            boot, counter, msg = crypto.open_sealed(
                self.key, self.site, self.device, topic, self.key_version, payload)
        except crypto.SealError as e:
            return e.name
        if not self.guard.admit(boot, counter):
            return "Replayed"
        if msg.epoch != self.epoch:
            return "OtherEpoch"
        return (boot, counter, msg)

    def taken(self):
        with self.lock:
            return len(self.acks)

    def refusals(self, word):
        with self.lock:
            return self.refused.get(word, 0)

    def wait_ack(self, after, through, what):
        """Waits for an ack taken after the first `after` ones whose
        through_seq is `through`; returns every ack taken after `after`."""
        self.wait(what, lambda: any(a[2].through_seq == through for a in self.acks[after:]))
        with self.lock:
            return [a[2].through_seq for a in self.acks[after:]]

    # ------------------------------------------------------------ batches

    def batch_frame(self, first_seq, movements):
        return crypto.sign(self.key, wire.EventBatch(
            self.site, self.device, self.epoch, first_seq, movements))

    def publish(self, topic, frame, retain=False):
        self.client.publish(topic, frame, qos=1, retain=retain).wait_for_publish(10)
