"""Times as text that never raise, and the range of times an import accepts (pure).

Rows get their times from the wall clock, but an imported NDJSON file, or a token's ``exp``
claim, can say anything JSON can: ``1e308``, ``-1e20``, ``NaN`` (Python's json reads it).
``datetime.fromtimestamp`` raises ``OverflowError``, ``ValueError`` or ``OSError`` for those,
and a Qt model formats the Time column on every paint, so one bad value used to raise on
every repaint. Everything that shows a time goes through here; a time that cannot be shown
reads :data:`NO_TIME`. Nothing here reads a clock.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from typing import Any, Final

#: What a time that cannot be shown reads as.
NO_TIME: Final = "—"
#: Imported times must lie in [0, MAX_EPOCH]: 1970 up to 3000-01-01T00:00:00Z, a range every
#: platform's ``fromtimestamp`` handles in every time zone.
MAX_EPOCH: Final = 32_503_680_000.0


def finite_number(value: Any) -> float | None:
    """A JSON number as a finite float, else None (``NaN``, ``Infinity``, an int too large for
    a float such as ``10**400``, a bool, anything not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def checked_epoch(value: Any, what: str = "time") -> float:
    """``value`` as seconds since the epoch, or ``ValueError`` saying why it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number")
    number = finite_number(value)
    if number is None or not 0 <= number <= MAX_EPOCH:
        shown = repr(value) if number is not None or isinstance(value, float) else "a huge number"
        raise ValueError(f"{what} {shown} is not a time between 1970 and 3000")
    return number


def to_datetime(epoch: float, tz: tzinfo | None = None) -> datetime | None:
    """``datetime.fromtimestamp(epoch, tz)`` (local time when ``tz`` is None), None when the
    value is not a time the platform can show."""
    try:
        return datetime.fromtimestamp(epoch, tz)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def clock_ms(epoch: float) -> str:
    """``14:03:07.125``: local wall-clock time with milliseconds."""
    dt = to_datetime(epoch)
    return NO_TIME if dt is None else f"{dt:%H:%M:%S}.{dt.microsecond // 1000:03d}"


def clock_s(epoch: float) -> str:
    """``14:03:07``: local wall-clock time to the second."""
    dt = to_datetime(epoch)
    return NO_TIME if dt is None else f"{dt:%H:%M:%S}"


def local_stamp(epoch: float) -> str:
    """``2026-01-01 14:03:07.125``: local date and time with milliseconds."""
    dt = to_datetime(epoch)
    if dt is None:
        return NO_TIME
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


def local_iso(epoch: float) -> str:
    """``2026-01-01T14:03:07.125+01:00``: local ISO 8601 with the offset and milliseconds."""
    dt = to_datetime(epoch)
    if dt is None:
        return NO_TIME
    try:
        return dt.astimezone().isoformat(timespec="milliseconds")
    except (OverflowError, ValueError, OSError):
        return NO_TIME


def utc_iso(epoch: float) -> str:
    """``2026-01-01T00:00:00.125Z`` (UTC, milliseconds); :data:`NO_TIME` when not a time."""
    dt = to_datetime(epoch, UTC)
    if dt is None:
        return NO_TIME
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
