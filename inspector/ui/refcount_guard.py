"""A guard against a PySide6 6.12.0 bug that aborts the app on Python 3.11 within minutes.

PySide6 6.12.0 drops references it does not own to two singletons:

- ``SignalInstance.emit()`` returns ``True`` without taking a reference, so every ``emit`` from
  Python takes one reference away from ``True``;
- a Python ``data()`` override that returns ``None``, called from C++ (every view paint, every
  proxy lookup), takes one reference away from ``None``.

On Python 3.12 and later these singletons are immortal (PEP 683) and nothing happens. On 3.11
their reference counts reach zero after a few thousand such calls and CPython stops the process
with ``Fatal Python error: bool_dealloc`` / ``none_dealloc`` (the demo died within two minutes;
benchmarks/gui_ingest.py found it). PySide6 6.11.3 does not have either leak
(tests/ui/test_refcount_guard.py shows the behaviour in a subprocess).

:func:`guard_singletons` gives ``None``, ``True`` and ``False`` a reference count so large that
no leak of this kind can exhaust it, which is what Python 3.12 does for them by design. It runs
when ``inspector.ui`` is imported, before any Qt object exists.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Final

#: References added to each singleton: at a million leaked references a second, 12 days.
BOOST: Final = 1 << 40


def guard_singletons() -> bool:
    """Make ``None``, ``True`` and ``False`` effectively immortal; False when not needed."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt leads every object
        if refcount.value < BOOST:
            refcount.value += BOOST
    return True
