"""inspector.client (see docs/architecture.md)."""
