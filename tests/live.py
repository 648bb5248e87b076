"""Run the real server (waitress, the production server) on a free loopback port for a test or a benchmark."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server


class LiveServer:
    """A waitress server in a background thread; `url` is its base address."""

    def __init__(self, app: Any, threads: int = 4) -> None:
        self._server = create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.port = self._server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the workers, then close every socket from inside the server's loop (closing them from here races)."""
        server = self._server
        server.task_dispatcher.shutdown(timeout=5)

        def close_all() -> None:
            for channel in list(server._map.values()):
                if channel is not server and channel is not server.trigger:
                    channel.close()
            server.close()

        server.trigger.pull_trigger(close_all)
        self._thread.join(timeout=5)
