"""Colours and fonts that follow the system's light or dark palette (issue #4 §6).

Nothing here hard-codes a background: text colours are picked per palette so they read on
either, and widgets otherwise use the palette as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the palette is a dark one (window background darker than mid-grey)."""
    pal = palette if palette is not None else QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


@dataclass(frozen=True)
class Colors:
    incoming: QColor
    outgoing: QColor
    system: QColor
    ok: QColor
    error: QColor
    warning: QColor
    busy: QColor
    muted: QColor


_LIGHT = Colors(
    incoming=QColor("#0b6bcb"),
    outgoing=QColor("#8250df"),
    system=QColor("#6e7781"),
    ok=QColor("#1a7f37"),
    error=QColor("#cf222e"),
    warning=QColor("#9a6700"),
    busy=QColor("#bc4c00"),
    muted=QColor("#6e7781"),
)
_DARK = Colors(
    incoming=QColor("#58a6ff"),
    outgoing=QColor("#d2a8ff"),
    system=QColor("#8b949e"),
    ok=QColor("#3fb950"),
    error=QColor("#ff7b72"),
    warning=QColor("#d29922"),
    busy=QColor("#ffa657"),
    muted=QColor("#8b949e"),
)


def colors(palette: QPalette | None = None) -> Colors:
    """The text colours for the current (or given) palette."""
    return _DARK if is_dark(palette) else _LIGHT


def mono_font() -> QFont:
    """The system's fixed-width font, for payloads and times."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
