"""#15 item 10: toolbar icons are redrawn when the palette (light/dark) or the device pixel
ratio changes; nobody has to rebuild them."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QToolButton

from inspector.ui.common import icons


def _ink(image: QImage) -> str:
    seen: Counter[str] = Counter()
    for x in range(image.width()):
        for y in range(image.height()):
            colour = image.pixelColor(x, y)
            if colour.alpha() > 200:
                seen[colour.name()] += 1
    assert seen, "the icon drew nothing"
    return seen.most_common(1)[0][0]


def test_icons_follow_a_palette_change(qapp: QApplication) -> None:
    button = QToolButton()
    button.setIcon(icons.icon("send"))
    before = QGuiApplication.palette()
    try:
        for ink in ("#d01010", "#10c0f0"):
            palette = QPalette(before)
            palette.setColor(QPalette.ColorRole.WindowText, QColor(ink))
            qapp.setPalette(palette)
            assert _ink(button.icon().pixmap(QSize(20, 20)).toImage()) == ink
    finally:
        qapp.setPalette(before)


def test_icons_are_drawn_at_the_asked_device_pixel_ratio(qapp: QApplication) -> None:
    icon = icons.icon("send")
    for ratio in (1.0, 1.5, 2.0, 3.0):
        pixmap = icon.pixmap(QSize(20, 20), ratio)
        assert pixmap.devicePixelRatio() == ratio
        assert pixmap.size() == QSize(round(20 * ratio), round(20 * ratio))


def test_disabled_icons_use_the_disabled_text_colour(qapp: QApplication) -> None:
    from PySide6.QtGui import QIcon

    before = QGuiApplication.palette()
    try:
        palette = QPalette(before)
        palette.setColor(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#808080")
        )
        qapp.setPalette(palette)
        image = icons.icon("send").pixmap(QSize(20, 20), 1.0, QIcon.Mode.Disabled).toImage()
        assert _ink(image) == "#808080"
    finally:
        qapp.setPalette(before)
