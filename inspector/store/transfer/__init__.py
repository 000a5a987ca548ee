"""NDJSON/CSV export and NDJSON import of messages and frames (secrets redacted on the way out)."""
