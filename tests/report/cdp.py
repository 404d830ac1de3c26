"""A small Chrome DevTools Protocol client for the browser tests: headless Chromium, one page, its console.

Starts ``chromium --headless … --remote-debugging-port=0``, reads the DevTools websocket address
from its stderr, attaches to one page (flattened session) and records console errors, uncaught
exceptions and failed loads while it navigates.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def chromium_path() -> str:
    """The Chromium binary; the test FAILS (never skips) when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    pytest.fail("headless Chromium is required for the browser tests and was not found; install it with "
                "`apt-get install -y chromium` (.ci/run does this in CI)", pytrace=False)


class Browser:
    """``with Browser() as b: b.open(url); b.evaluate(js)``; ``b.errors`` lists console errors."""

    def __init__(self, *, width: int = 1280, height: int = 900, timeout: float = 60.0):
        self.width, self.height, self.timeout = width, height, timeout
        self.errors: list[str] = []
        self._id = 0

    def __enter__(self):
        import websocket

        self._profile = tempfile.mkdtemp(prefix="rp-chromium-")
        self._proc = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-port=0",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = None
        t0 = time.monotonic()
        while time.monotonic() - t0 < self.timeout:
            line = self._proc.stderr.readline()
            if not line and self._proc.poll() is not None:
                break
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                url = m.group(1)
                break
        if url is None:
            self.__exit__(None, None, None)
            pytest.fail("Chromium did not start its DevTools endpoint", pytrace=False)
        self._ws = websocket.create_connection(url, timeout=self.timeout, suppress_origin=True)
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})
        return self

    def __exit__(self, *exc):
        try:
            if getattr(self, "_ws", None) is not None:
                self._ws.close()
        finally:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(10)
            self._proc.stderr.close()
            shutil.rmtree(self._profile, ignore_errors=True)

    # -- protocol
    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._ws.send(json.dumps(msg))
        want = self._id
        while True:
            reply = self._recv()
            if reply.get("id") == want:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def call(self, method: str, params: dict | None = None) -> dict:
        """A command on the page's session."""
        return self._send(method, params, self._session)

    def _recv(self) -> dict:
        msg = json.loads(self._ws.recv())
        self._event(msg)
        return msg

    def _event(self, msg: dict) -> None:
        m, p = msg.get("method"), msg.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.errors.append(f"exception: {d.get('text')} {d.get('exception', {}).get('description', '')}")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.errors.append("console.error: " + " ".join(str(a.get("value", a.get("description")))
                                                          for a in p.get("args", [])))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            self.errors.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif m == "Network.loadingFailed":
            self.errors.append(f"load failed: {p.get('errorText')} ({p.get('type')})")
        elif m == "Page.loadEventFired":
            self._loaded = True

    def open(self, path_or_url: str | Path) -> None:
        """Navigate and wait for the load event."""
        url = path_or_url if str(path_or_url).startswith(("file:", "http:", "about:")) else Path(path_or_url).as_uri()
        self._loaded = False
        self.call("Page.navigate", {"url": url})
        t0 = time.monotonic()
        while not self._loaded:
            if time.monotonic() - t0 > self.timeout:
                pytest.fail(f"{url} did not finish loading in {self.timeout:g} s", pytrace=False)
            self._recv()

    def evaluate(self, js: str):
        """Value of a JavaScript expression (returned by value; use JSON-able results)."""
        r = self.call("Runtime.evaluate", {"expression": js, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, path: str | Path, *, full_page: bool = False) -> Path:
        """Save a PNG of the viewport (or of the whole page)."""
        import base64

        params = {"format": "png"}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size[0], "height": min(size[1], 16000), "scale": 1})
        data = self.call("Page.captureScreenshot", params)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)
