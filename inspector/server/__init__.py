"""inspector.server (see docs/architecture.md)."""
