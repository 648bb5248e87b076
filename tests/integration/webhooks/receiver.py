"""A host app's webhook endpoint on loopback: it keeps every request and answers as a test scripts it."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from tests.live import LiveServer


class Receiver:
    """A WSGI endpoint that fails each message's first `failures` posts with 500, and may hold every answer."""

    def __init__(self, failures: int = 0, hold: threading.Event | None = None) -> None:
        self.failures = failures
        self.hold = hold
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.answered = 0
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.server = LiveServer(self, threads=4)
        self.url = self.server.url + "/hooks"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key[:5] == "HTTP_"}
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        with self._lock:
            message_id = headers.get("webhook-id", "")
            self._seen[message_id] += 1
            status = 500 if self._seen[message_id] <= self.failures else 200
            self.requests.append((headers, body, status))
        if self.hold is not None:
            self.hold.wait(60)
        with self._lock:
            self.answered += 1
        start_response(f"{status} {'OK' if status == 200 else 'Server Error'}", [("Content-Type", "text/plain")])
        return [b"ok" if status == 200 else b"try later"]

    def accepted(self) -> list[tuple[dict[str, str], bytes]]:
        """Return the requests answered (or being answered) 200."""
        with self._lock:
            return [(headers, body) for headers, body, status in self.requests if status == 200]

    def stop(self) -> None:
        """Release held answers and stop serving."""
        if self.hold is not None:
            self.hold.set()
        self.server.stop()
