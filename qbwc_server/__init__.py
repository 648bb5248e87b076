"""qbwc-server: sync a field-service business's records into QuickBooks Desktop through the Web Connector."""

__version__ = "0.1.0"
