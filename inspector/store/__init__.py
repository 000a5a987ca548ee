"""inspector.store (see docs/architecture.md)."""
