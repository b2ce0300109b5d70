#!/usr/bin/env python3
"""Drive the relay's /ops page in headless Chromium and save screenshots.

Usage: ops_screenshots.py BASE_URL ADMIN_TOKEN OUT_DIR

Signs in with the admin token, filters the dead letters (failure=http_5xx), opens one letter, asks for a bulk
replay (the dry-run count page), confirms it, and visits endpoints, shipment trace and quarantine, saving a PNG of
each page in OUT_DIR. Talks to Chromium over the DevTools protocol (websocket-client from PyPI). Exits 1 when a
page does not show what it should. Chromium runs with a throwaway profile and is stopped at the end.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="ops-chromium-")
        self.process = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", f"--user-data-dir={self.profile}",
             "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        # Chromium's first start on a busy machine (a parallel test run) can take well over 10 s: wait up to 60 s,
        # and say so plainly if it exited or never wrote its port.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if self.process.poll() is not None:
                raise SystemExit(f"chromium exited with status {self.process.returncode} before it listened")
            time.sleep(0.05)
        else:
            self.process.kill()
            raise SystemExit("chromium wrote no DevToolsActivePort within 60 s")
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0
        self.call("Page.enable")

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_loaded(self):
        for _ in range(100):
            state = self.evaluate("document.readyState")
            if state == "complete":
                return
            time.sleep(0.05)

    def goto(self, url):
        self.call("Page.navigate", url=url)
        time.sleep(0.2)
        self.wait_loaded()

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def act(self, expression):
        """Runs JS that navigates (submits a form or clicks a link) and waits for the next page."""
        self.evaluate(expression)
        time.sleep(0.4)
        self.wait_loaded()

    def text(self):
        return self.evaluate("document.body.innerText") or ""

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def main():
    if len(sys.argv) != 4 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    base, token, out = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    failures = []
    checks = []

    def check(condition, what):
        print(("ok   " if condition else "FAIL ") + what)
        checks.append(what)
        if not condition:
            failures.append(what)

    browser = Browser()
    try:
        browser.goto(base + "/ops")
        check("Admin token" in browser.text(), "unsigned visit shows the sign-in form")
        browser.screenshot(os.path.join(out, "ops-1-sign-in.png"))
        browser.act(f"document.querySelector('input[name=token]').value = {json.dumps(token)};"
                    "document.querySelector('form').submit()")
        check("Dead letters" in browser.text(), "signed in: the dead-letter list")
        browser.act("document.querySelector('input[name=failure]').value = 'http_5xx';"
                    "document.querySelector('form.filters').submit()")
        text = browser.text()
        check("http_5xx" in text and "dlv_" in text, "filter failure=http_5xx lists letters")
        browser.screenshot(os.path.join(out, "ops-2-dead-letters.png"))
        browser.act("document.querySelector('td a').click()")
        check("Attempts" in browser.text() and "Payload" in browser.text(), "a letter with its attempts and payload")
        browser.screenshot(os.path.join(out, "ops-3-dead-letter.png"))
        browser.goto(base + "/ops?failure=http_5xx")
        browser.act("document.querySelector('button[formaction]').click()")
        text = browser.text()
        check("dead letters match" in text and "Replay" in text, "bulk replay shows the dry-run count first")
        browser.screenshot(os.path.join(out, "ops-4-bulk-replay-dry-run.png"))
        browser.act("document.querySelector('input[name=ratePerSecond]').value = '200';"
                    "document.querySelector('main form').submit()")
        for _ in range(60):
            if "Finished" in browser.text():
                break
            time.sleep(0.25)
            browser.wait_loaded()
        check("Finished" in browser.text(), "the replay job finishes")
        browser.screenshot(os.path.join(out, "ops-5-replay-job.png"))
        browser.goto(base + "/ops/endpoints")
        check("Endpoints" in browser.text() and "enabled" in browser.text(), "endpoint health")
        browser.screenshot(os.path.join(out, "ops-6-endpoints.png"))
        awb = os.environ.get("OPS_TRACE_AWB", "OPS1")
        browser.goto(base + "/ops/trace?awb=" + awb)
        check("callback" in browser.text() and "(manual)" in browser.text(), "shipment trace with the manual attempt")
        browser.screenshot(os.path.join(out, "ops-7-trace.png"))
        browser.goto(base + "/ops/quarantine")
        check("Quarantine" in browser.text(), "quarantine")
        browser.screenshot(os.path.join(out, "ops-8-quarantine.png"))
        browser.goto(base + "/ops/overview")
        text = browser.text()
        check("Overview" in text and "Callbacks received, by aggregator" in text and "Delivery attempts:" in text
              and "Failed attempts per endpoint" in text and "Pending deliveries" in text, "overview charts")
        check(browser.evaluate("document.querySelectorAll('svg.chart rect title').length") > 0, "overview charts have data bars")
        browser.screenshot(os.path.join(out, "ops-9-overview.png"))
    finally:
        browser.close()
    print(f"ops page: {len(checks) - len(failures)} of {len(checks)} checks ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
