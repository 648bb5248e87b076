"""Allow `python -m qbwc_server`."""

from qbwc_server.cli import main

main()
