"""Run the real server (waitress, the production server) on a free loopback port for a test."""

from __future__ import annotations

from qbwc_server.simulator.loopback import LoopbackServer as LiveServer

__all__ = ["LiveServer"]
