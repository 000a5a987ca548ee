"""Resource lookup and themed SVG icons, rendered crisp at every device pixel ratio.

Toolbar SVGs in ``resources/icons`` draw with ``#1f2328``; :func:`icon` swaps that for the
palette's text colour at the moment Qt draws the icon, at the device pixel ratio Qt asks for
(an icon engine, not pixmaps made once), so icons follow a light/dark switch and a move to a
high-DPI screen. The app icon (``app.svg``) is used as drawn.

Where ``resources/`` is found, first hit wins: ``$REALTIME_INSPECTOR_RESOURCES``, a PyInstaller
bundle (``sys._MEIPASS/resources``), the package (``inspector/resources``), the source tree.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

import inspector

_INK = "#1f2328"
_SIZES = (16, 20, 24, 32, 48)


@cache
def resources_dir() -> Path | None:
    """The ``resources`` folder, or None when it cannot be found."""
    candidates = []
    env = os.environ.get("REALTIME_INSPECTOR_RESOURCES")
    if env:
        candidates.append(Path(env))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    package = Path(inspector.__file__).resolve().parent
    candidates += [package / "resources", package.parent / "resources"]
    for path in candidates:
        if (path / "icons").is_dir():
            return path
    return None


def resource_path(*parts: str) -> Path | None:
    base = resources_dir()
    if base is None:
        return None
    path = base.joinpath(*parts)
    return path if path.exists() else None


def _render(svg: bytes, size: int, ratio: float) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg))
    px = max(1, round(size * ratio))
    pixmap = QPixmap(px, px)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, px, px))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _ratio() -> float:
    screen = QGuiApplication.primaryScreen()
    return max(1.0, screen.devicePixelRatio()) if screen is not None else 1.0


class _ThemedSvgEngine(QIconEngine):
    """Draws a toolbar SVG when Qt asks, in the palette's text colour of that moment and at the
    device pixel ratio Qt asks for: icons follow a light/dark switch and a move to a screen
    with another scale factor without anybody rebuilding them (#15 item 10). Pixmaps are
    cached per colour, size and scale, so repaints cost a dictionary lookup."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self._source = source
        self._cache: dict[tuple[str, int, int, float], QPixmap] = {}

    def _colour(self, mode: QIcon.Mode) -> str:
        pal = QGuiApplication.palette()
        group = (
            QPalette.ColorGroup.Disabled
            if mode == QIcon.Mode.Disabled
            else QPalette.ColorGroup.Active
        )
        return pal.color(group, QPalette.ColorRole.WindowText).name()

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        colour = self._colour(mode)
        side = max(1, min(size.width(), size.height()))
        ratio = max(1.0, float(scale))
        key = (colour, side, side, ratio)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) > 64:
                self._cache.clear()
            cached = _render(self._source.replace(_INK, colour).encode(), side, ratio)
            self._cache[key] = cached
        return cached

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, _ratio())

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, ratio))

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        side = min(size.width(), size.height())
        return QSize(side, side)

    def availableSizes(
        self, mode: QIcon.Mode = QIcon.Mode.Normal, state: QIcon.State = QIcon.State.Off
    ) -> list[QSize]:
        return [QSize(s, s) for s in _SIZES]

    def clone(self) -> QIconEngine:
        return _ThemedSvgEngine(self._source)

    def key(self) -> str:
        return "realtime-inspector-themed-svg"


def icon(name: str) -> QIcon:
    """A toolbar icon in the palette's text colour (and a dimmed one for disabled actions),
    drawn when shown, so it follows palette and device-pixel-ratio changes."""
    path = resource_path("icons", f"{name}.svg")
    if path is None:
        return QIcon()
    return QIcon(_ThemedSvgEngine(path.read_text(encoding="utf-8")))


def app_icon() -> QIcon:
    """The application icon from ``resources/icons/app.svg`` (packaging owns the master)."""
    path = resource_path("icons", "app.svg")
    if path is None:
        return QIcon()
    svg = path.read_bytes()
    result = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        result.addPixmap(_render(svg, size, 1.0))
    return result


def icon_size() -> QSize:
    return QSize(20, 20)
