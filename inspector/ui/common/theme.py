"""Colours and fonts that follow the system's light or dark palette (issue #4 §6).

Nothing here hard-codes a background: text colours are picked per palette so they read on
either, and widgets otherwise use the palette as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
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


def dark_palette() -> QPalette:
    """A dark palette for desktops that say "dark" (GNOME's colour-scheme setting, read by Qt
    from the desktop portal) but whose Qt platform theme hands out a light palette."""
    pal = QPalette()
    window, base, text = QColor("#24292f"), QColor("#1b1f24"), QColor("#e6edf3")
    muted, highlight = QColor("#8b949e"), QColor("#2f81f7")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        pal.setColor(group, QPalette.ColorRole.Window, window)
        pal.setColor(group, QPalette.ColorRole.WindowText, text)
        pal.setColor(group, QPalette.ColorRole.Base, base)
        pal.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#22272e"))
        pal.setColor(group, QPalette.ColorRole.Text, text)
        pal.setColor(group, QPalette.ColorRole.Button, QColor("#2d333b"))
        pal.setColor(group, QPalette.ColorRole.ButtonText, text)
        pal.setColor(group, QPalette.ColorRole.ToolTipBase, QColor("#2d333b"))
        pal.setColor(group, QPalette.ColorRole.ToolTipText, text)
        pal.setColor(group, QPalette.ColorRole.PlaceholderText, muted)
        pal.setColor(group, QPalette.ColorRole.Highlight, highlight)
        pal.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        pal.setColor(group, QPalette.ColorRole.Link, QColor("#58a6ff"))
        pal.setColor(group, QPalette.ColorRole.Light, QColor("#444c56"))
        pal.setColor(group, QPalette.ColorRole.Midlight, QColor("#373e47"))
        pal.setColor(group, QPalette.ColorRole.Mid, QColor("#2d333b"))
        pal.setColor(group, QPalette.ColorRole.Dark, QColor("#161b22"))
        pal.setColor(group, QPalette.ColorRole.Shadow, QColor("#000000"))
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(disabled, role, QColor("#6e7681"))
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.Button, QColor("#2d333b")),
        (QPalette.ColorRole.Highlight, QColor("#3b4350")),
    ):
        pal.setColor(disabled, role, colour)
    return pal


class ColorSchemeFollower:
    """Keeps the application's palette in step with the desktop's light/dark setting.

    Qt reads the setting (on GNOME from the desktop portal's ``color-scheme``, over D-Bus;
    the bundle keeps QtDBus for it) into ``QStyleHints.colorScheme``. Where the platform theme
    then still hands out a light palette (no GTK theme plugin: the bundle drops it, see
    packaging/README.md), this applies :func:`dark_palette`, and gives the platform's palette
    back when the desktop turns light again. A palette the platform made dark is left alone.
    """

    def __init__(self, app: QGuiApplication) -> None:
        self.app = app
        self.applied = False
        hints = app.styleHints()
        hints.colorSchemeChanged.connect(self.apply)
        self.apply(hints.colorScheme())

    def apply(self, scheme: Qt.ColorScheme) -> None:
        if scheme == Qt.ColorScheme.Dark and not is_dark(QGuiApplication.palette()):
            QGuiApplication.setPalette(dark_palette())
            self.applied = True
        elif scheme != Qt.ColorScheme.Dark and self.applied:
            QGuiApplication.setPalette(QPalette())  # back to the platform's own palette
            self.applied = False
