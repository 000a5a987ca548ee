"""inspector.ui (see docs/architecture.md)."""

from .refcount_guard import guard_singletons

# Before any Qt object exists: PySide6 6.12.0 leaks references to None and True, which aborts
# Python 3.11 after a few thousand signal emissions or view paints (see refcount_guard).
guard_singletons()
