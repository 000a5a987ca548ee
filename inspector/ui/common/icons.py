"""Resource lookup and themed SVG icons, rendered crisp at every device pixel ratio.

Toolbar SVGs in ``resources/icons`` draw with ``#1f2328``; :func:`icon` swaps that for the
palette's text colour so icons follow light and dark themes, and renders pixmaps at the
window's device pixel ratio (high-DPI). The app icon (``app.svg``) is used as drawn.

Where ``resources/`` is found, first hit wins: ``$REALTIME_INSPECTOR_RESOURCES``, a PyInstaller
bundle (``sys._MEIPASS/resources``), the package (``inspector/resources``), the source tree.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPainter, QPalette, QPixmap
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


def icon(name: str) -> QIcon:
    """A toolbar icon in the palette's text colour (and a dimmed one for disabled actions)."""
    path = resource_path("icons", f"{name}.svg")
    if path is None:
        return QIcon()
    source = path.read_text(encoding="utf-8")
    pal = QGuiApplication.palette()
    ink = pal.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText).name()
    dim = pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
    result = QIcon()
    ratio = _ratio()
    for mode, colour in ((QIcon.Mode.Normal, ink), (QIcon.Mode.Disabled, dim)):
        svg = source.replace(_INK, colour).encode()
        for size in _SIZES:
            result.addPixmap(_render(svg, size, ratio), mode)
    return result


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
