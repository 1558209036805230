"""The two keyed parts of protocol/WIRE.md, from the document alone:
HMAC-SHA256 auth tags on device-to-hub frames (section 3.7) and the
sealed XChaCha20-Poly1305 envelope of hub-to-device frames (section 7),
with the receiver's replay rule (section 7.5).

XChaCha20-Poly1305 comes from PyNaCl (libsodium); everything else is
the standard library.
"""

import dataclasses
import hashlib
import hmac
import struct

from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
)
from nacl.exceptions import CryptoError

import wire

TAIL = 33  # the Option marker 01 and 32 tag bytes
SEAL_LABEL = b"wms/seal/hub-to-device/v1"
SEALED_VERSION = 0x02
FIXED_HEADER = 30  # version, kind, key_version, boot, counter, salt
POLY_TAG = 16


# ---------------------------------------------------------------- auth tags


def sign(key: bytes, message) -> bytes:
    """Encode with no tag, drop the final 00, HMAC the rest, append 01 + tag."""
    region = wire.encode(dataclasses.replace(message, auth_tag=None))[:-1]
    return region + b"\x01" + hmac.new(key, region, hashlib.sha256).digest()


def verify(key: bytes, frame: bytes) -> str:
    """`ok`, `BadTag` or `Unsigned` as section 6.5 names them. The frame is
    decoded first, so a tag is known to be present; then the HMAC over
    frame[0 .. len-33] is compared in constant time."""
    message = wire.decode(frame)
    if message.auth_tag is None:
        return "Unsigned"
    region, tag = frame[:-TAIL], frame[-32:]
    good = hmac.new(key, region, hashlib.sha256).digest()
    return "ok" if hmac.compare_digest(good, tag) else "BadTag"


# ---------------------------------------------------------------- sealing


class SealError(Exception):
    """A refused sealed frame; `name` is the section 7.3 refusal word."""

    def __init__(self, name: str, detail: str = ""):
        super().__init__(f"{name}: {detail}" if detail else name)
        self.name = name


def seal_key(device_key: bytes) -> bytes:
    return hmac.new(device_key, SEAL_LABEL, hashlib.sha256).digest()


def _short(b: bytes) -> bytes:
    if len(b) > 255:
        raise ValueError("longer than 255 bytes")
    return bytes([len(b)]) + b


def _header(kind, key_version, boot, counter, salt, site, device) -> bytes:
    fixed = struct.pack(">BBIIQ", SEALED_VERSION, kind, key_version, boot, counter) + salt
    return fixed + _short(site.encode()) + _short(device.encode())


def seal(device_key, site, device, topic, key_version, boot, counter, salt, message) -> bytes:
    """What the hub does (section 7.2); used here to check the vectors."""
    kind = wire.INDEX[type(message)]
    header = _header(kind, key_version, boot, counter, salt, site, device)
    aad = header + _short(topic.encode())
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(
        wire.encode(message), aad, header[6:30], seal_key(device_key)
    )
    return header + sealed


def _take_short(frame: bytes, at: int):
    if at >= len(frame) or at + 1 + frame[at] > len(frame):
        raise SealError("Truncated", "header lengths run past the end")
    return frame[at + 1 : at + 1 + frame[at]], at + 1 + frame[at]


def open_sealed(device_key, site, device, topic, key_version, frame):
    """Section 7.3 steps 1 to 7, in order: returns (boot, counter, message)
    or raises SealError. Step 8 (replays) is the ReplayGuard's."""
    if not frame:
        raise SealError("Empty")
    if frame[0] != SEALED_VERSION:
        raise SealError("UnknownVersion", f"{frame[0]:02x}")
    if len(frame) < FIXED_HEADER:
        raise SealError("Truncated", "fixed header")
    _, kind, version, boot, counter = struct.unpack(">BBIIQ", frame[:18])
    h_site, at = _take_short(frame, FIXED_HEADER)
    h_device, at = _take_short(frame, at)
    if h_site != site.encode() or h_device != device.encode():
        raise SealError("WrongDevice", f"{h_site!r}/{h_device!r}")
    leaf = {1: "dev/{}/ack", 3: "dev/{}/tasks", 4: "printer/{}/jobs"}.get(kind)
    if leaf is None or topic != f"wms/{site}/" + leaf.format(device):
        raise SealError("WrongTopic", f"kind {kind} on {topic}")
    if version != key_version:
        raise SealError("KeyVersion", f"{version}, expected {key_version}")
    header, sealed = frame[:at], frame[at:]
    if len(sealed) < POLY_TAG:
        raise SealError("Truncated", "no room for the tag")
    aad = header + _short(topic.encode())
    try:
        plain = crypto_aead_xchacha20poly1305_ietf_decrypt(
            sealed, aad, header[6:30], seal_key(device_key)
        )
    except CryptoError:
        raise SealError("BadMac") from None
    try:
        message = wire.decode(plain)
    except wire.DecodeError as e:
        raise SealError("Plaintext", e.name) from None
    if wire.INDEX[type(message)] != kind or (message.site, message.device) != (site, device):
        raise SealError("Mismatch")
    return boot, counter, message


class ReplayGuard:
    """Takes a frame only if (boot, counter) is above all taken before."""

    def __init__(self):
        self.highest = None

    def admit(self, boot: int, counter: int) -> bool:
        if self.highest is not None and (boot, counter) <= self.highest:
            return False
        self.highest = (boot, counter)
        return True
