"""#15 item 10: GNOME's dark mode reaches the window without the GTK theme plugin: when Qt
reports a dark colour scheme but the platform palette is light, the app turns dark (text
colours and icons follow); light again gives the platform's palette back."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from inspector.ui.common import icons, theme


def test_dark_scheme_with_a_light_platform_palette_turns_the_app_dark(qapp: QApplication) -> None:
    before = QGuiApplication.palette()
    assert not theme.is_dark(before)  # the offscreen platform's palette is light
    follower = theme.ColorSchemeFollower(qapp)
    try:
        follower.apply(Qt.ColorScheme.Dark)
        assert theme.is_dark()
        assert theme.colors() == theme.colors(theme.dark_palette())
        ink = icons.icon("send").pixmap(QSize(20, 20), 1.0).toImage()
        lit = [
            ink.pixelColor(x, y)
            for x in range(ink.width())
            for y in range(ink.height())
            if ink.pixelColor(x, y).alpha() > 200
        ]
        assert lit
        assert all(c.lightness() > 128 for c in lit), "icons stay dark on a dark palette"
        follower.apply(Qt.ColorScheme.Light)
        assert not theme.is_dark()
        assert QGuiApplication.palette().color(QPalette.ColorRole.Window) == before.color(
            QPalette.ColorRole.Window
        )
    finally:
        qapp.styleHints().colorSchemeChanged.disconnect(follower.apply)
        qapp.setPalette(before)


def test_a_palette_the_platform_made_dark_is_left_alone(qapp: QApplication) -> None:
    before = QGuiApplication.palette()
    platform_dark = QPalette(theme.dark_palette())
    platform_dark.setColor(QPalette.ColorRole.Window, platform_dark.color(QPalette.ColorRole.Dark))
    qapp.setPalette(platform_dark)
    follower = theme.ColorSchemeFollower(qapp)
    try:
        follower.apply(Qt.ColorScheme.Dark)
        assert not follower.applied
        assert QGuiApplication.palette().color(QPalette.ColorRole.Window) == platform_dark.color(
            QPalette.ColorRole.Window
        )
    finally:
        qapp.styleHints().colorSchemeChanged.disconnect(follower.apply)
        qapp.setPalette(before)
