"""inspector.ui (see docs/architecture.md)."""
