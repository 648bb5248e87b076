"""Serve a WSGI app with waitress on a free loopback port from a background thread (tests and benchmarks)."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from qbwc_server.config import Settings
from qbwc_server.serving import make_server


class LoopbackServer:
    """The waitress server `serve` runs, on 127.0.0.1 in a background thread; `url` is its base address."""

    def __init__(self, app: Any, threads: int = 4, settings: Settings | None = None) -> None:
        # With few worker threads waitress warns about every queued request; that is expected here.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        # The body limit and proxy trust of `settings` (the defaults when none are given), as `serve` applies them.
        self._server = make_server(app, "127.0.0.1", 0, threads, settings)
        self.port = self._server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopping = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):
            # Closing the sockets can wake the loop on a descriptor that is already gone; only then is it expected.
            if not self._stopping:
                raise

    def stop(self) -> None:
        """Finish the workers, then close every socket from inside the server's loop (closing them from here races)."""
        server = self._server
        self._stopping = True
        server.task_dispatcher.shutdown(timeout=5)

        def close_all() -> None:
            for channel in list(server._map.values()):
                if channel is not server and channel is not server.trigger:
                    channel.close()
            server.close()
            # Last the wake-up pipe: with nothing left to watch, the loop and its thread end.
            server.trigger.close()

        try:
            server.trigger.pull_trigger(close_all)
        except OSError:
            # The loop has already closed its wake-up pipe, so it is not watching anything: close what is left here.
            with contextlib.suppress(OSError):
                close_all()
        self._thread.join(timeout=5)
