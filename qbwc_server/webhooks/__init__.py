"""Webhooks: tell the host app what happened (an outbox written with each change, delivered signed and retried)."""
