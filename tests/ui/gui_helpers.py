"""Helpers the GUI tests import: awaiting signals and conditions on the qasync loop, the live
window's options, a subscribed realtime-js peer, screenshots.

They live here rather than in ``conftest.py`` so that ``from gui_helpers import …`` works
whatever other suites' ``conftest`` modules pytest loads in the same run (``from conftest
import …`` found whichever conftest came last: ``pytest tests/ui tests/server`` failed).
Never call ``qtbot.wait*`` inside a coroutine (it nests a Qt loop and stalls the asyncio
tasks): await :func:`signal_future` or :func:`until`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peers import Peer, PeerPool
from PySide6.QtWidgets import QLayout

from inspector.server import RealtimeServer


def signal_future(signal: Any, predicate: Callable[..., bool] | None = None) -> asyncio.Future[Any]:
    """A future resolved by the next emission of ``signal`` (whose args pass ``predicate``)."""
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def slot(*args: Any) -> None:
        if fut.done() or (predicate is not None and not predicate(*args)):
            return
        fut.set_result(args)
        signal.disconnect(slot)

    signal.connect(slot)
    return fut


async def until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Await ``condition()`` becoming true, letting Qt and asyncio run in between.

    This polls the event loop (each ``sleep(0.01)`` runs Qt events and asyncio tasks); it is a
    wait on a condition with a deadline, not a fixed sleep.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(0.01)


@dataclass(frozen=True)
class WindowOptions:
    """How the ``window`` fixture builds the main window."""

    #: reopen the profile's saved tabs on connect (what the app does outside the demo).
    restore_tabs: bool = False
    #: ``resize(width, height)`` before showing; None keeps the window's own size.
    size: tuple[int, int] | None = None


async def js_subscribed(
    peers: PeerPool, server: RealtimeServer, name: str, *, channel: str = "a", **options: Any
) -> Peer:
    """A realtime-js peer whose client ``c`` has subscribed its channel ``channel`` to ``name``
    on ``server`` (``options``: the peer's ``config``/``listen`` of the channel)."""
    js = await peers.js()
    await js.call("client", id="c", url=server.realtime_url, key=server.anon_key)
    await js.call("channel", id=channel, client="c", name=name, **options)
    await js.call("subscribe", channel=channel)
    await js.expect(ev="status", channel=channel, status="SUBSCRIBED")
    return js


# ------------------------------------------------------------------------------ screenshots

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
#: screenshots saved in this run (conftest's terminal summary lists them).
SAVED: list[Path] = []


def save_screenshot(widget: Any, name: str) -> Path:
    """Grab ``widget`` to ``test-artifacts/screenshots/<name>.png`` (and to docs/screenshots
    when ``UPDATE_SCREENSHOTS=1``); fails when the image is blank."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Apply pending layout changes synchronously (a label that just got a third line), without
    # spinning an event loop inside a coroutine.
    for layout in [widget.layout(), *widget.findChildren(QLayout)]:
        if layout is not None:
            layout.activate()
    pixmap = widget.grab()
    image = pixmap.toImage()
    step = max(1, image.width() // 64)
    colours = {
        image.pixel(x, y)
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    }
    assert len(colours) > 8, f"screenshot {name} looks blank ({len(colours)} colours)"
    path = SCREENSHOTS / f"{name}.png"
    assert pixmap.save(str(path)), f"could not write {path}"
    SAVED.append(path)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert pixmap.save(str(DOCS_SCREENSHOTS / f"{name}.png"))
    return path
