"""The host app's records: their schemas, validation, and storage by external_id."""
