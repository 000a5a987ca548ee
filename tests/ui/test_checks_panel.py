"""The Checks panel's pieces without a network (issue #12 §4): which tabs a check needs, the
tree of a valid and an invalid file, the step detail, durations."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from inspector.client.checks import StepResult, StepStatus, load_text
from inspector.store import ChannelOptions
from inspector.ui.checks.checks_dock import channels_of
from inspector.ui.checks.checks_panel import (
    COL_RESULT,
    ChecksPanel,
    FileEntry,
    format_duration,
    step_detail,
)

pytestmark = [pytest.mark.gui]

TEXT = """\
name: tabs
identities: {user: {token: t}}
steps:
  - join: {channel: orders, private: true, identity: user}
  - join: {channel: lobby, presence: {key: me}}
  - track: {channel: lobby, payload: {x: 1}}
  - send: {channel: feed, event: e, via: rest}
  - join: {channel: "room-{{uuid}}"}
  - wait: 10ms
"""


def test_channels_a_check_needs_tabs_for() -> None:
    check = load_text(TEXT, "tabs.yaml").checks[0]
    assert channels_of(check) == {
        "orders": ChannelOptions("orders", private=True),
        "lobby": ChannelOptions("lobby", presence=True),
        "feed": ChannelOptions("feed"),
    }


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.0004, "0.4 ms"), (0.012, "12 ms"), (1.25, "1.25 s")]
)
def test_durations(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_tree_of_a_valid_and_an_invalid_file(qtbot: QtBot, tmp_path: Path) -> None:
    panel = ChecksPanel()
    qtbot.addWidget(panel)
    good = tmp_path / "tabs.yaml"
    loaded = load_text(TEXT, good)
    panel.set_entry(FileEntry(str(good), loaded))
    panel.set_entry(FileEntry(str(tmp_path / "bad.yaml"), None, [f"{tmp_path}/bad.yaml:3:5: x"]))
    assert panel.tree.topLevelItemCount() == 2
    file_item = panel.tree.topLevelItem(0)
    assert file_item is not None
    assert file_item.text(COL_RESULT) == "1 check"
    check_item = file_item.child(0)
    assert check_item.childCount() == 6
    assert check_item.child(0).text(0) == "1. join orders as user"
    bad = panel.tree.topLevelItem(1)
    assert bad is not None
    assert bad.text(COL_RESULT) == "✗ invalid"
    assert bad.child(0).text(0).endswith("bad.yaml:3:5: x")
    panel.tree.setCurrentItem(bad)
    assert "bad.yaml:3:5: x" in panel.detail.toPlainText()
    assert panel.run_all_button.isEnabled()
    panel.tree.setCurrentItem(check_item.child(1))
    assert panel.selected_keys() == [(str(good), 0)]
    assert "Not run yet." in panel.detail.toPlainText()
    # Reloading a file keeps the selection on the same step.
    panel.set_entry(FileEntry(str(good), loaded))
    current = panel.tree.currentItem()
    assert current is not None
    assert current.text(0) == "2. join lobby"


def test_step_detail_of_a_skipped_step() -> None:
    check = load_text(TEXT, "tabs.yaml").checks[0]
    result = StepResult(check.steps[2], StepStatus.SKIPPED, reason="not run")
    text = step_detail(check, 2, result, None)
    assert text.splitlines()[0] == "Step 3 of “tabs”: track on lobby  (tabs.yaml:6)"
    assert "Skipped: not run" in text
