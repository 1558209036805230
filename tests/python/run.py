"""A device client in a second language, written from protocol/WIRE.md
alone. Checks every test vector of the document, then (with --live) does
a round trip against a running hub. Exits non-zero on any failure and
always ends with one summary line of counts.

    python3 tests/python/run.py --wire protocol/WIRE.md
    python3 tests/python/run.py --wire protocol/WIRE.md --live \\
        --credentials creds.json --device py-1 --mqtt 127.0.0.1:1883 --report out.json

Needs tests/python/requirements.txt (paho-mqtt, PyNaCl).
"""

import argparse
import sys

import vectors


def log(line):
    print(line, flush=True)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wire", required=True, help="path of protocol/WIRE.md")
    p.add_argument("--live", action="store_true", help="also the round trip against a hub")
    p.add_argument("--credentials", help="credentials file from `hub device add --out`")
    p.add_argument("--device", help="the device id to act as")
    p.add_argument("--mqtt", default="127.0.0.1:1883", help="the hub's MQTT host:port")
    p.add_argument("--report", default="python-device-report.json",
                   help="where to write what the device sent and was acked")
    args = p.parse_args(argv)

    tally, counts = vectors.run(args.wire)
    for failure in tally.failures:
        log(f"FAIL {failure}")
    blocks = ", ".join(f"{n} {k}" for k, n in counts.items())
    log(f"vectors: {tally.passed} checks passed, {len(tally.failures)} failed ({blocks})")

    steps_passed, steps_failed = 0, []
    if args.live:
        if not (args.credentials and args.device):
            p.error("--live needs --credentials and --device")
        import live  # paho-mqtt is needed only here

        host, _, port = args.mqtt.rpartition(":")
        steps = live.run(args.credentials, args.device, host, int(port), args.report, log)
        steps_passed, steps_failed = steps.passed, steps.failed

    failed = len(tally.failures) + len(steps_failed)
    live_part = (
        f"; live: {steps_passed} steps passed, {len(steps_failed)} failed" if args.live else ""
    )
    verdict = "PASS" if failed == 0 else "FAIL"
    log(f"python-device {verdict}: vectors {tally.passed} passed, "
        f"{len(tally.failures)} failed{live_part}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
