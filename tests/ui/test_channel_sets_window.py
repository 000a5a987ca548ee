"""Channel sets in the real window against the real server (issue #15 item 7): save the open
tabs of a profile as a named set, open it in one action from Channel -> Channel sets, rename and
delete it, and the non-modal bar that offers the last set when the window starts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from gui_helpers import WindowOptions, save_screenshot, until

from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, TabState
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui]

A = ChannelOptions("room-a", ack=True)
B = ChannelOptions("room-b", broadcast_self=True, presence_key="me")


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(restore_tabs=True)


async def connected(window: MainWindow, server: RealtimeServer) -> InspectorController:
    c = window.controller
    assert isinstance(c, InspectorController)
    dialog = window.open_profiles()
    dialog.name_edit.setText("Local")
    dialog.url_edit.setText(server.url)
    dialog.key_field.setText(server.anon_key)
    dialog.connect_button.click()
    await until(lambda: c.connected, what="connected")
    return c


async def all_joined(c: InspectorController, *names: str) -> None:
    await until(
        lambda: all(
            n in c.channels and c.channels[n].status.state is TabState.JOINED for n in names
        ),
        what=f"{names} joined",
    )


def close_all(window: MainWindow) -> None:
    for name in list(window.controller.channels):
        window.controller.close_channel(name)


async def test_save_open_rename_delete_a_channel_set(
    window: MainWindow, server: RealtimeServer
) -> None:
    c = await connected(window, server)
    sets = window.channel_sets
    assert sets.menu.menuAction() in window.channel_menu.actions()
    sets.refresh_menu()
    assert not sets.save_action.isEnabled()  # nothing open to save
    window.join(A)
    window.join(B)
    await all_joined(c, "room-a", "room-b")
    sets.refresh_menu()
    assert sets.save_action.isEnabled()

    # Save through the dialog, as a user does (the name typed, OK pressed).
    dialog = sets.ask_save()
    assert not dialog.isModal() or dialog.isVisible()
    dialog.setTextValue("Morning")
    dialog.accept()
    stored = window.settings.channel_sets(window.current_profile().id)  # type: ignore[union-attr]
    assert stored.names() == ["Morning"]
    assert stored.get("Morning").channels == (A, B)  # type: ignore[union-attr]
    sets.refresh_menu()
    [action] = sets.set_actions()
    assert action.text().startswith("Morning")
    assert "room-a (ack, public)" in action.toolTip()
    sets.menu.adjustSize()
    save_screenshot(sets.menu, "channel-sets-menu")

    # Close everything, open the set in one action: both tabs with their options.
    close_all(window)
    await until(lambda: not c.channels, what="tabs closed")
    action.trigger()
    await all_joined(c, "room-a", "room-b")
    assert c.channels["room-a"].options == A
    assert c.channels["room-b"].options == B
    assert window.tabs.ordered_names() == ["room-a", "room-b"]
    # Opening it again keeps the open tabs (nothing joined twice).
    sets.open_set("Morning")
    assert "2 already open" in window.statusBar().currentMessage()

    # Manage: rename in place, a clash refused, delete.
    manager = sets.open_manager()
    assert manager.list.count() == 1
    save_screenshot(manager, "channel-sets-manage")
    manager.list.item(0).setText("Daily")
    assert sets.sets().names() == ["Daily"]
    window.join(ChannelOptions("room-c"))
    await all_joined(c, "room-c")
    assert sets.save_set("Other") is None
    await until(lambda: manager.list.count() == 2, what="list reloaded")
    manager.list.setCurrentRow(1)
    manager.list.item(1).setText("daily")  # the same name as the first, as a user reads it
    assert "exists already" in manager.note.text()
    assert sets.sets().names() == ["Daily", "Other"]
    manager.delete_selected()
    assert sets.sets().names() == ["Daily"]
    manager.close()


@pytest.fixture
async def second_window(qtbot: object) -> AsyncIterator[list[MainWindow]]:
    """Windows started later in the test (the app started again), cleaned up at teardown."""
    made: list[MainWindow] = []
    yield made
    for win in made:
        controller = win.controller
        assert isinstance(controller, InspectorController)
        await controller.shutdown()
        win.close()
        win.deleteLater()


async def test_the_window_offers_the_last_set_on_start(
    window: MainWindow, server: RealtimeServer, second_window: list[MainWindow]
) -> None:
    c = await connected(window, server)
    window.join(A)
    window.join(B)
    await all_joined(c, "room-a", "room-b")
    assert window.channel_sets.save_set("Evening") is None
    close_all(window)  # the session ends with other tabs than the set
    window.join(ChannelOptions("elsewhere"))
    await all_joined(c, "elsewhere")
    window.save_state()
    await c.shutdown()

    # The app starts again: its saved tab comes back, and a bar offers the last set.
    controller = InspectorController()
    again = MainWindow(controller, restore_tabs=True)
    second_window.append(again)
    again.resize(1100, 640)
    again.show()
    bar = again.channel_sets.bar
    assert bar.isVisibleTo(again)
    assert "Evening" in bar.label.text()
    assert "2 not open now" in bar.label.text()
    assert again.connect_current() is None
    await all_joined(controller, "elsewhere")
    save_screenshot(again, "channel-sets-reopen-bar")
    # the window works while the bar is shown: it is not a dialog
    assert again.isEnabled()
    assert again.tabs.isEnabled()
    bar.reopen_button.click()
    assert not bar.isVisibleTo(again)
    await all_joined(controller, "elsewhere", "room-a", "room-b")
    assert controller.channels["room-b"].options == B


async def test_no_bar_when_the_last_set_is_open_or_dismissed(
    window: MainWindow, server: RealtimeServer, second_window: list[MainWindow]
) -> None:
    c = await connected(window, server)
    window.join(A)
    await all_joined(c, "room-a")
    assert window.channel_sets.save_set("Solo") is None
    window.save_state()
    await c.shutdown()
    controller = InspectorController()
    again = MainWindow(controller, restore_tabs=True)  # room-a comes back with the tabs
    second_window.append(again)
    again.show()
    assert not again.channel_sets.bar.isVisibleTo(again)
    # a set whose tabs are closed: offered, and "Not now" hides it
    close_all(again)
    assert again.channel_sets.offer_reopen()
    again.channel_sets.bar.dismiss_button.click()
    assert not again.channel_sets.bar.isVisibleTo(again)


async def test_set_and_channel_names_show_hidden_characters_escaped(
    window: MainWindow, server: RealtimeServer
) -> None:
    """QA of issue #15 item 7: a right-to-left override in a channel or set name reversed the
    rest of the reopen bar's text and the menu's ("room ‮evil‬-x" read "room live-x"); they
    show as \\uXXXX like the tab titles, and a menu's & is not a mnemonic."""
    c = await connected(window, server)
    odd = "room \u202eevil\u202c-x"
    window.join(ChannelOptions(odd, ack=True))
    await all_joined(c, odd)
    sets = window.channel_sets
    assert sets.save_set("R&D \u202eXYZ") is None
    sets.refresh_menu()
    (action,) = sets.set_actions()
    assert action.text() == "R&&D \\u202eXYZ  (1 channel)"
    assert action.data() == "R&D \u202eXYZ"  # opening uses the real name
    assert action.toolTip() == "room \\u202eevil\\u202c-x (ack, public)"
    close_all(window)
    assert sets.offer_reopen()
    text = sets.bar.label.text()
    assert "\u202e" not in text
    assert "“R&D \\u202eXYZ”" in text
    assert "room \\u202eevil\\u202c-x" in text
    manager = sets.open_manager()
    item = manager.list.item(0)
    assert item.text() == "R&D \\u202eXYZ"
    assert "\u202e" not in item.toolTip()
    manager.list.itemChanged.emit(item)  # edited without a change: no rename to the escapes
    assert sets.sets().names() == ["R&D \u202eXYZ"]
    manager.close()
    sets.bar.reopen_button.click()
    await all_joined(c, odd)
    assert "\u202e" not in window.statusBar().currentMessage()
