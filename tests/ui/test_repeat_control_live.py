"""The composer's repeat control (issue #11 §3) in the real window, with the real controller
and the local server over real sockets: a counted run with acks in flight ends with its
summary in the row and in a dialog, every send is a row with its seq; a duration run shows
progress and stops on Cancel with its summary; a bad template is refused before anything is
sent. No timing is asserted."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from gui_helpers import save_screenshot, signal_future, until

from inspector.client.send_summary import SendSummary
from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, Direction, Profile, SendState, TabState, Transport
from inspector.ui.channels.channel_panel import ChannelPanel
from inspector.ui.composer.repeat_control import rate_text, summary_text
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

TIMEOUT = 30.0


async def open_tab(
    window: MainWindow, server: RealtimeServer, name: str, *, ack: bool
) -> tuple[InspectorController, ChannelPanel]:
    c = window.controller
    assert isinstance(c, InspectorController)
    window.add_session_profile(Profile("local", "Local", server.url), server.anon_key)
    window.connect_current()
    await until(lambda: c.connected, what="connected")
    assert window.join(ChannelOptions(name, ack=ack)) is None
    await until(lambda: c.channels[name].status.state is TabState.JOINED, what="joined")
    return c, window.panels[name]


async def test_counted_run_with_acks_in_flight_ends_with_its_summary(
    window: MainWindow, server: RealtimeServer
) -> None:
    c, panel = await open_tab(window, server, "rep", ack=True)
    composer = panel.composer
    composer.event_edit.setText("tick")
    composer.payload_edit.setPlainText('{"from": "window"}')
    composer.repeat_button.click()
    control = composer.repeat
    assert control.isVisible()
    control.set_mode(count=300)
    control.set_pace(in_flight=5)
    finished = signal_future(c.repeat_finished)
    control.start_button.click()
    assert control.running
    assert control.start_button.text() == "Cancel"
    name, summary, error = await until_future(finished)
    assert (name, error) == ("rep", "")
    assert (summary.sent, summary.ok, summary.error, summary.timed_out) == (300, 300, 0, 0)
    assert summary.rtt_count == 300
    assert not control.running
    assert control.start_button.text() == "Start"
    text = control.status_label.text()
    assert "Done: sent 300 · ok 300 · error 0 · timed out 0" in text
    assert "ack p50" in text
    # every send is a row with its seq, answered ok
    log = c.channels["rep"].log
    await until(lambda: not panel.model.has_pending(), what="rows shown")
    sent = [r for r in log if r.direction is Direction.OUT]
    assert [r.payload_json() for r in sent] == [{"from": "window", "seq": n} for n in range(1, 301)]
    assert all(r.send is not None and r.send.state is SendState.OK for r in sent)
    assert panel.model.rowCount() == len(log)
    # the summary on demand, as a table
    assert control.summary_button.isEnabled()
    control.summary_button.click()
    dialog = control.dialog
    assert dialog is not None
    assert dialog.isVisible()
    table = dialog.table_label.text()
    assert table.splitlines()[0] == "sent            300"
    assert "round trip p99" in table
    window.resize(1100, 760)
    save_screenshot(window, "repeat-summary")
    save_screenshot(dialog, "repeat-summary-dialog")
    dialog.close()


async def until_future(fut: asyncio.Future[Any]) -> Any:
    return await asyncio.wait_for(fut, TIMEOUT)


async def test_duration_run_shows_progress_and_cancel_gives_the_summary(
    window: MainWindow, server: RealtimeServer
) -> None:
    c, panel = await open_tab(window, server, "dur", ack=False)
    composer = panel.composer
    composer.event_edit.setText("seq-{{seq}}")
    composer.payload_edit.setPlainText("{}")
    composer.repeat_button.click()
    control = composer.repeat
    control.set_mode(duration=600)
    control.set_pace(rate=200)
    progressed = signal_future(c.repeat_progress, lambda _n, p: p.sent > 0 and not p.done)
    # Start follows Send: enabled once the template's preview has expanded (after a pause)
    await until(lambda: control.start_button.isEnabled(), what="template checked")
    control.start_button.click()
    _name, progress = await until_future(progressed)
    assert progress.total == 300 or progress.duration == 600
    await until(lambda: control.status_label.text().count("sent ") == 1, what="progress shown")
    assert "msg/s" in control.status_label.text()
    finished = signal_future(c.repeat_finished)
    control.start_button.click()  # Cancel
    assert control.start_button.text() == "Cancelling…"
    _name, summary, error = await until_future(finished)
    assert error == ""
    assert summary.cancelled
    assert summary.sent >= 1
    assert "Cancelled: sent" in control.status_label.text()
    events = [r.event for r in c.channels["dur"].log if r.direction is Direction.OUT]
    assert events == [f"seq-{n}" for n in range(1, summary.sent + 1)]
    assert not c.repeat_running("dur")


async def test_a_bad_template_is_refused_before_anything_is_sent(
    window: MainWindow, server: RealtimeServer
) -> None:
    c, panel = await open_tab(window, server, "bad", ack=False)
    composer = panel.composer
    composer.event_edit.setText("e")
    composer.payload_edit.setPlainText('{"n": {{nope}}}')
    composer.repeat_button.click()
    composer.repeat.start_button.click()
    text = composer.repeat.status_label.text()
    assert "Not started: line 1, column 7: unknown variable" in text
    assert not composer.repeat.running
    assert not any(r.direction is Direction.OUT for r in c.channels["bad"].log)


async def test_leaving_the_tab_stops_its_run_with_the_summary(
    window: MainWindow, server: RealtimeServer
) -> None:
    c, panel = await open_tab(window, server, "gone", ack=True)
    composer = panel.composer
    composer.event_edit.setText("e")
    composer.repeat_button.click()
    composer.repeat.set_mode(duration=600)
    composer.repeat.set_pace(rate=100)
    progressed = signal_future(c.repeat_progress, lambda _n, p: p.sent > 0)
    finished = signal_future(c.repeat_finished)
    composer.repeat.start_button.click()
    await until_future(progressed)
    c.leave("gone")
    name, summary, error = await until_future(finished)
    assert name == "gone"
    assert summary.cancelled
    assert error == "the channel was left"
    assert not c.repeat_running("gone")
    # QA: it said just "Cancelled:", as if the user had pressed Cancel
    assert "Cancelled (the channel was left): sent" in composer.repeat.status_label.text()


async def test_closing_the_tab_during_a_run_is_quiet(
    window: MainWindow, server: RealtimeServer
) -> None:
    """QA (like the replay bar's): the run's last reports come after its tab is gone."""
    c, panel = await open_tab(window, server, "shut", ack=True)
    composer = panel.composer
    composer.event_edit.setText("e")
    composer.repeat_button.click()
    composer.repeat.set_mode(duration=600)
    composer.repeat.set_pace(rate=100)
    progressed = signal_future(c.repeat_progress, lambda _n, p: p.sent > 0)
    finished = signal_future(c.repeat_finished)
    composer.repeat.start_button.click()
    await until_future(progressed)
    window.tabs.tabCloseRequested.emit(window.tabs.indexOf(panel))
    name, summary, _error = await until_future(finished)
    assert name == "shut"
    assert summary.cancelled
    assert "shut" not in c.channels


def test_slow_rates_keep_their_precision_and_rest_says_round_trip() -> None:
    """QA: 0.1 msg/s read "0 msg/s"; a REST run's HTTP round trips were labelled "ack"."""
    s = SendSummary()
    s.record_sent()
    s.record("ok", 0.002)
    s.elapsed = 10.0
    assert "(0.1 msg/s)" in summary_text(s)
    assert " · ack p50 " in summary_text(s)
    rest = summary_text(s, rest=True)
    assert " · round trip p50 " in rest
    assert "ack" not in rest
    assert [rate_text(r) for r in (0.0, 0.05, 0.1, 2.5, 12.4, 4980.2)] == [
        "0",
        "0.05",
        "0.1",
        "2.5",
        "12",
        "4,980",
    ]


async def test_a_rest_run_labels_its_round_trips(
    window: MainWindow, server: RealtimeServer
) -> None:
    c, panel = await open_tab(window, server, "rest-run", ack=False)
    composer = panel.composer
    composer.event_edit.setText("e")
    composer.transport_combo.setCurrentIndex(composer.transport_combo.findData(Transport.REST))
    composer.repeat_button.click()
    composer.repeat.set_mode(count=3)
    composer.repeat.set_pace(in_flight=1)
    finished = signal_future(c.repeat_finished)
    composer.repeat.start_button.click()
    _name, summary, _error = await until_future(finished)
    assert summary.ok == 3
    text = composer.repeat.status_label.text()
    assert "round trip p50" in text
    assert "ack" not in text
    await until(lambda: not panel.model.has_pending(), what="rows shown")
    save_screenshot(window, "repeat-rest-summary")


async def test_start_follows_send_and_a_refusal_goes_when_the_message_changes(
    window: MainWindow, server: RealtimeServer
) -> None:
    """QA: Start stayed enabled while Send was disabled by a template error, and a red
    "Not started: …" stayed next to the next, different template error."""
    c, panel = await open_tab(window, server, "typo", ack=False)
    composer = panel.composer
    control = composer.repeat
    composer.event_edit.setText("e")
    composer.repeat_button.click()
    assert control.start_button.isEnabled()
    composer.payload_edit.setPlainText('{"n": {{nope}}}')
    control.start_button.click()  # before the preview's pause: the controller refuses it
    assert "Not started: line 1, column 7: unknown variable" in control.status_label.text()
    composer.refresh_preview()
    assert not composer.send_button.isEnabled()
    assert not control.start_button.isEnabled()
    assert control.start_button.toolTip().startswith("Cannot start: template: line 1, column 7")
    assert composer.send_button.toolTip().startswith("Cannot send: template: line 1, column 7")
    composer.payload_edit.setPlainText('{"n": {{nope.x}}}')  # another error
    assert "Not started" not in control.status_label.text()
    assert not control.status_label.isVisible()
    composer.payload_edit.setPlainText('{"n": {{seq}}}')
    composer.refresh_preview()
    assert control.start_button.isEnabled()
    assert composer.send_button.isEnabled()
    assert control.start_button.toolTip() == "Start the repeat run (the message in the composer)"
    assert composer.send_button.toolTip() == "Send (Ctrl+Enter)"
    composer.event_edit.setText("")
    composer.refresh_preview()
    assert not control.start_button.isEnabled()
    assert control.start_button.toolTip() == "Cannot start: Enter an event name to send"
    save_screenshot(window, "repeat-start-follows-send")
    assert not any(r.direction is Direction.OUT for r in c.channels["typo"].log)
