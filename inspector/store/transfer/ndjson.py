"""NDJSON export and import of a channel's rows: kept for its first callers; the format and the
code live in :mod:`inspector.store.transfer.export` (messages and frames, secrets redacted)."""

from __future__ import annotations

from inspector.store.transfer.export import ImportResult, export_lines, import_lines

__all__ = ["ImportResult", "export_lines", "import_lines"]
