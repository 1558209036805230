#!/usr/bin/env python3
"""The dashboard in a real browser (headless Debian chromium, driven by
Playwright for Python), against a running hub with simulated devices.

Run by tests/tests/dashboard.rs, which starts the hub and one firmware-sim
process per device. This script: logs in with a viewer token through the
page's form; checks the SSE parser inside the page with split and odd
input; waits until every device in --online shows online; kills the
process --kill-pid with SIGKILL and waits (no reload) until --kill-device
shows offline, printing the delay; posts an order through the API with the
integrator token and waits (no reload) until the page shows it; checks a
viewer is offered no operator button, no customer data is on the page and
no request went anywhere but the hub; saves a screenshot. An operator
tab is offered "Acknowledge" on an open alert and acknowledges it. In a new
tab, feeds the page a fake change stream (Playwright answers the stream's
URL) to check the live path: events applied in place, an unknown event
ignored, a reconnect that resumes from the last id.

Every check waits on the DOM with a deadline. Any failure exits non-zero.
Never runs `playwright install`: the browser is /usr/bin/chromium.
"""

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# The customer of the order posted here: none of it may reach the page.
CUSTOMER = {
    "name": "Zhang Sanfeng",
    "phone": "+86 138-1234-5678",
    "address": {"country": "CN", "province": "浙江省", "city": "杭州市", "district": "西湖区",
                "street": "Wensan Road 90", "postal_code": "310012"},
}
PERSONAL = ["Zhang Sanfeng", "1234-5678", "12345678", "Wensan Road"]

PARSER_CHECK = """() => {
  const p = new window.Dash.SseParser();
  const text = "\\ufeff: keep-alive\\n\\nid: 7\\nevent: device\\ndata: {\\"a\\":1}\\n\\n" +
    "id: 8\\r\\nevent: order\\r\\ndata: x\\r\\ndata: y\\r\\n\\r\\nid: 9\\ndata: half";
  let out = [];
  for (const ch of text) out = out.concat(p.push(ch));
  const before = p.dispatchedId;
  out = out.concat(p.push("\\n\\n"));
  return {out, before, after: p.dispatchedId};
}"""


def fail(message):
    print("dashboard-check FAIL: " + message, flush=True)
    sys.exit(1)


def post_order(base, token, platform_order_id):
    body = {"platform": "own", "platform_order_id": platform_order_id, "service": "express",
            "paid": False, "customer": CUSTOMER, "lines": [{"sku": "DASH-SKU", "quantity": 1}],
            "tags": [], "channel": "live", "remarks": ""}
    request = urllib.request.Request(
        base + "/api/v1/orders", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
        if response.status not in (200, 201):
            fail(f"POST /api/v1/orders answered {response.status}")
    return answer["id"]


# Routes the page tries and does without on a hub that lacks them: the
# fleet table and the change feed (the page falls back to /api/v1/devices
# and to polling) and a list of label batches (it shows the batches events
# name).
OPTIONAL = {"/api/v1/fleet": (404,), "/api/v1/changes": (404,),
            "/api/v1/changes/stream": (404,), "/api/v1/label-batches": (404, 405)}


def optional_route(status, url):
    return status in OPTIONAL.get(urllib.parse.urlsplit(url).path, ())


def check_parser(page):
    result = page.evaluate(PARSER_CHECK)
    want = [{"id": "7", "event": "device", "data": '{"a":1}'},
            {"id": "8", "event": "order", "data": "x\ny"},
            {"id": "9", "event": "message", "data": "half"}]
    if result["out"] != want:
        fail(f"SSE parser: {result['out']} != {want}")
    if result["before"] != "8" or result["after"] != "9":
        fail(f"SSE parser resume ids: {result['before']}, {result['after']}")
    print("sse parser: ok", flush=True)


class Watched:
    """What a page asked for and what went wrong in it."""

    def __init__(self, page):
        self.requests, self.errors, self.refused = [], [], []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: r.status >= 400 and self.refused.append((r.status, r.url)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        # A refused request is judged by its answer, not its console line.
        page.on("console", lambda m: m.type == "error"
                and not m.text.startswith("Failed to load resource") and self.errors.append(m.text))

    def check(self, hub_host):
        outside = [u for u in self.requests if urllib.parse.urlsplit(u).netloc != hub_host]
        if outside:
            fail(f"requests to other hosts: {outside}")
        if self.errors:
            fail(f"errors in the page: {self.errors}")
        unexpected = [(s, u) for s, u in self.refused if not optional_route(s, u)]
        if unexpected:
            fail(f"refused requests: {unexpected}")
        print(f"requests: {len(self.requests)}, all to {hub_host}", flush=True)


def log_in(page, args, token, timeout):
    page.goto(args.url + "/")
    page.wait_for_selector("#login-form", state="visible", timeout=timeout)
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#board", state="visible", timeout=timeout)
    page.wait_for_selector("#login", state="hidden", timeout=timeout)


def fake_event(seq, name, data):
    return f"id: {seq}\nevent: {name}\ndata: {json.dumps(data)}\n\n"


def check_fake_stream(context, args, viewer, hub_host, timeout):
    """The live path end to end in the page, against a fake stream (which
    ends when the test says, unlike the hub's): events update the panels in place, an
    unknown event is ignored, and after the stream ends the page
    reconnects with the last id in Last-Event-ID."""
    page = context.new_page()
    watched = Watched(page)
    asked = []
    device = {"device": "fake-stream-dev", "state": "online", "backlog": 3, "battery_pct": 80,
              "last_seen_ms": int(time.time() * 1000), "state_since_ms": int(time.time() * 1000)}
    order = {"id": 990001, "state": "received", "platform": "own", "platform_order_id": "FAKE-STREAM-1",
             "service": "standard", "updated_ms": int(time.time() * 1000)}

    def stream(route, request):
        asked.append(request.headers.get("last-event-id"))
        if len(asked) == 1:
            body = (": keep-alive\n\n" + fake_event(1, "device", device) + fake_event(2, "mystery", {"x": 1})
                    + fake_event(3, "order", order))
        else:
            body = fake_event(3 + len(asked), "device", dict(device, state="offline"))
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body)

    page.route("**/api/v1/changes/stream", stream)
    log_in(page, args, viewer, timeout)
    page.wait_for_selector('#fleet tr[data-device="fake-stream-dev"][data-state="online"]', timeout=timeout)
    page.wait_for_selector('#orders tr[data-platform-order-id="FAKE-STREAM-1"]', timeout=timeout)
    page.wait_for_selector('#fleet tr[data-device="fake-stream-dev"][data-state="offline"]', timeout=timeout)
    if len(asked) < 2 or asked[1] != "3":
        fail(f"Last-Event-ID on (re)connects: {asked}")
    watched.check(hub_host)
    print("fake stream: events applied in place, resumed with Last-Event-ID 3", flush=True)
    page.close()


def check_operator(context, args, operator, hub_host, timeout):
    """An operator is offered "Acknowledge" on an open alert, and the
    alert shows acknowledged (the ack's answer, then its event)."""
    page = context.new_page()
    watched = Watched(page)
    log_in(page, args, operator, timeout)
    role = page.text_content("#role")
    if role != "operator":
        fail(f"the page says role {role!r} for an operator token")
    button = page.wait_for_selector('#alerts li[data-state="open"] button.ack', timeout=timeout)
    alert_id = button.evaluate("b => b.closest('li').dataset.alertId")
    button.click()
    page.wait_for_selector(f'#alerts li[data-alert-id="{alert_id}"][data-state="acknowledged"]',
                           timeout=timeout)
    watched.check(hub_host)
    print(f"operator acknowledged alert #{alert_id}", flush=True)
    page.close()


def check_api_docs(context, args, hub_host, timeout):
    """The API reference page renders every operation of the hub's own
    OpenAPI document, with nothing fetched from elsewhere."""
    page = context.new_page()
    watched = Watched(page)
    page.goto(args.url + "/api/docs")
    page.wait_for_selector("article.op", timeout=timeout)
    shown = page.locator("article.op").count()
    with urllib.request.urlopen(args.url + "/api/v1/openapi.json", timeout=10) as answer:
        doc = json.load(answer)
    documented = sum(1 for item in doc["paths"].values() for op in item.values()
                     if isinstance(op, dict) and "responses" in op)
    if shown != documented:
        fail(f"the API reference shows {shown} operations of {documented}")
    page.fill("#filter", "alerts")
    if page.locator("article.op:not([hidden])").count() >= shown:
        fail("the filter hid nothing")
    watched.check(hub_host)
    print(f"API reference: {shown} operations rendered", flush=True)
    page.close()


def run(args, context, hub_host):
    viewer = open(args.viewer_token_file).read().strip()
    integrator = open(args.integrator_token_file).read().strip()
    page = context.new_page()
    watched = Watched(page)
    timeout = args.timeout * 1000

    page.goto(args.url + "/")
    page.wait_for_selector("#login-form", state="visible", timeout=timeout)
    check_parser(page)
    log_in(page, args, viewer, timeout)
    if args.expect_stream:
        page.wait_for_selector('#live[data-live="on"]', timeout=timeout)
    role = page.text_content("#role")
    if role != "viewer":
        fail(f"the page says role {role!r} for a viewer token")
    for device in args.online:
        page.wait_for_selector(f'#fleet tr[data-device="{device}"][data-state="online"]', timeout=timeout)
    print(f"fleet online: {', '.join(args.online)}", flush=True)
    if page.evaluate("() => sessionStorage.getItem('wms-hub-token')") != viewer:
        fail("the token is not kept in sessionStorage")

    killed_at = time.monotonic()
    os.kill(args.kill_pid, signal.SIGKILL)
    page.wait_for_selector(f'#fleet tr[data-device="{args.kill_device}"][data-state="offline"]',
                           timeout=timeout)
    delay = time.monotonic() - killed_at
    print(f"kill to offline in the browser: {delay:.2f} s", flush=True)

    order_ref = "DASH-%d" % int(time.time() * 1000)
    order_id = post_order(args.url, integrator, order_ref)
    page.wait_for_selector(f'#orders tr[data-platform-order-id="{order_ref}"]', timeout=timeout)
    print(f"new order #{order_id} shown without a reload", flush=True)

    # The order's SKU has no stock: its backorder alert arrives live, open,
    # and a viewer must not be offered to acknowledge it.
    page.wait_for_selector('#alerts li[data-state="open"]', timeout=timeout)
    for selector in ["button.ack", "button.reprint"]:
        if page.locator(selector).count() != 0:
            fail(f"a viewer is offered {selector}")
    text = page.inner_text("body")
    for word in PERSONAL:
        if word in text:
            fail(f"customer data {word!r} is on the page")
    if page.evaluate("() => performance.getEntriesByType('navigation')[0].type") != "navigate":
        fail("the page was reloaded")

    os.makedirs(os.path.dirname(args.screenshot) or ".", exist_ok=True)
    page.screenshot(path=args.screenshot, full_page=True)
    print(f"screenshot: {args.screenshot}", flush=True)

    watched.check(hub_host)
    page.close()
    check_fake_stream(context, args, viewer, hub_host, timeout)
    operator = open(args.operator_token_file).read().strip()
    check_operator(context, args, operator, hub_host, timeout)
    check_api_docs(context, args, hub_host, timeout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the hub, http://HOST:PORT")
    parser.add_argument("--viewer-token-file", required=True)
    parser.add_argument("--integrator-token-file", required=True)
    parser.add_argument("--operator-token-file", required=True)
    parser.add_argument("--online", required=True, type=lambda s: s.split(","))
    parser.add_argument("--kill-device", required=True)
    parser.add_argument("--kill-pid", required=True, type=int)
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--expect-stream", action="store_true",
                        help="the hub has /api/v1/changes/stream: the page must follow it, not poll")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per wait")
    args = parser.parse_args()
    if args.kill_device not in args.online:
        fail("--kill-device must be one of --online")
    hub_host = urllib.parse.urlsplit(args.url).netloc
    with tempfile.TemporaryDirectory(prefix="dash-chromium-") as profile:
        with sync_playwright() as p:
            # A fresh profile each run (Playwright passes --user-data-dir).
            context = p.chromium.launch_persistent_context(
                profile, executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1024, "height": 768})
            try:
                run(args, context, hub_host)
            except Exception as error:  # a timeout, a refused request...
                fail(f"{type(error).__name__}: {error}")
            finally:
                context.close()
    print("dashboard-check PASS", flush=True)


if __name__ == "__main__":
    main()
