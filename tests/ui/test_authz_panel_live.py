"""The Authorization panel with the real window and the local server with a rules file (issue
#13 §4): identities from a file, channels typed in, Run fills the matrix the rules imply with
colours and reasons in tooltips; a saved expectation matches, a changed one highlights the
difference; one cell is re-run; the exports are written (JUnit read back with junitparser)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from authz_helpers import ALICE, BOB, implied, user_token, write_rules
from gui_helpers import WindowOptions, save_screenshot
from junitparser import JUnitXml

from inspector.protocol.authz_probe import CAPABILITIES, Capability, Verdict
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.rules import Rules
from inspector.store import Profile
from inspector.store.authz import ChannelRef
from inspector.ui.authz.authz_dock import NO_IDENTITIES
from inspector.ui.authz.authz_panel import FIRST_CAP, NO_OBSERVER, parse_channels
from inspector.ui.common import theme
from inspector.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui]

CHANNELS = [ChannelRef("team-news", True), ChannelRef("lobby", True), ChannelRef("open-room")]
CLAIMS = {"anon": {"role": "anon"}, "alice": ALICE, "bob": BOB}


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(size=(1500, 900))


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    return ServerConfig(port=0, rules=str(write_rules(tmp_path)))


def _identities_file(
    tmp_path: Path, server: RealtimeServer, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("RI_TEST_ALICE", user_token(server, ALICE))
    monkeypatch.setenv("RI_TEST_SECRET", server.config.jwt_secret)
    monkeypatch.setenv("RI_TEST_SERVICE", server.service_role_key)
    path = tmp_path / "identities.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "anon": {},
                "alice": {"token": "{{env.RI_TEST_ALICE}}"},
                "bob": {
                    "mint": {
                        "secret": "{{env.RI_TEST_SECRET}}",
                        "sub": BOB["sub"],
                        "email": BOB["email"],
                    }
                },
                "admin": {"key": "{{env.RI_TEST_SERVICE}}"},
            },
            sort_keys=False,
        )
    )
    return path


def test_parse_channels() -> None:
    assert parse_channels("a, private:b public:c realtime:d", False) == [
        ChannelRef("a"),
        ChannelRef("b", True),
        ChannelRef("c"),
        ChannelRef("d"),
    ]
    assert parse_channels("a b a", True) == [ChannelRef("a", True), ChannelRef("b", True)]


async def test_run_matrix_expectation_rerun_and_exports(
    window: MainWindow,
    server: RealtimeServer,
    server_config: ServerConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = server_config.load_rules()
    assert isinstance(rules, Rules)
    window.add_session_profile(Profile("live", "Local", server.url), server.anon_key)
    dock = window.authz_dock
    panel = dock.panel
    dock.show()
    assert not dock.run()  # nothing to run yet: the note says what is missing
    assert panel.note_label.text() == NO_IDENTITIES

    assert dock.open_identities(_identities_file(tmp_path, server, monkeypatch))
    assert panel.identity_list.count() == 4
    assert panel.observer() == "admin"  # the key identity is offered as the observer
    panel.set_checked(["anon", "alice", "bob"])
    panel.channels_edit.setText("private:team-news, private:lobby, open-room")
    assert dock.run()
    assert not panel.run_button.isEnabled()
    await dock.wait()
    assert panel.run_button.isEnabled()

    # the matrix the rules imply, every cell painted with its verdict's colour and reason
    matrix = panel.matrix
    assert len(matrix) == 3 * 3 * len(CAPABILITIES)
    c = theme.colors()
    for channel in CHANNELS:
        for name, claims in CLAIMS.items():
            want = implied(rules, claims, channel.name, channel.private)
            for cap in CAPABILITIES:
                cell = matrix.get(name, channel, cap)
                assert cell is not None
                assert cell.verdict.value == want[cap.value], (name, channel, cap, cell.reason)
                item = panel.item(name, channel, cap)
                assert item is not None
                colour = {Verdict.ALLOWED: c.ok, Verdict.DENIED: c.error}[cell.verdict]
                assert item.foreground().color().rgb() == colour.rgb()
                assert cell.verdict.value in item.toolTip()
    tip = panel.item("anon", CHANNELS[0], Capability.SEND_REST_BATCH)
    assert tip is not None
    assert "waited" in tip.toolTip()
    assert "silence" in tip.toolTip()
    assert panel.note_label.text().startswith("Done: 63 cells")
    save_screenshot(dock, "authz-panel")

    # save as expected, change one cell in the file, load it: the difference is highlighted
    expected = tmp_path / "expected.yaml"
    assert dock.save_expected(expected)
    data = yaml.safe_load(expected.read_text())
    for row in data["matrix"]:
        if (row["identity"], row["channel"]) == ("anon", "lobby"):
            row["track"] = "allowed"
    expected.write_text(yaml.safe_dump(data, sort_keys=False))
    assert dock.load_expected(expected)
    assert list(panel.differences) == [("anon", CHANNELS[1], Capability.TRACK)]
    item = panel.item("anon", CHANNELS[1], Capability.TRACK)
    assert item is not None
    assert item.text() == "✗ denied ≠ allowed"
    assert item.font().bold()
    assert "expected allowed" in item.toolTip()
    assert "1 differ from the expected" in panel.note_label.text()
    save_screenshot(window, "authz-differences")
    panel.table.setCurrentItem(item)

    # re-run one cell (double-click does the same): it is measured again and repainted
    row = panel.table.row(item)
    assert panel.rerun_button.isEnabled()
    panel.table.cellDoubleClicked.emit(row, FIRST_CAP + CAPABILITIES.index(Capability.TRACK))
    assert dock.running
    assert panel.item("anon", CHANNELS[1], Capability.TRACK).text() == "…"  # type: ignore[union-attr]
    await dock.wait()
    assert panel.item("anon", CHANNELS[1], Capability.TRACK).text() == "✗ denied ≠ allowed"  # type: ignore[union-attr]
    assert panel.note_label.text().startswith("Re-ran anon · lobby (private) · track presence")

    # exports
    for kind, name in (("markdown", "m.md"), ("json", "m.json"), ("junit", "m.xml")):
        assert dock.export(kind, tmp_path / name)
    assert "## lobby (private)" in (tmp_path / "m.md").read_text()
    assert json.loads((tmp_path / "m.json").read_text())["matches"] is False
    xml = JUnitXml.fromfile(str(tmp_path / "m.xml"))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == 63
    assert [case.name for case in cases if not case.is_passed] == ["anon track"]
    assert server.hub.channels() == {}
    assert panel.observer_combo.itemText(0) == NO_OBSERVER


async def test_identities_of_the_current_profile(
    window: MainWindow, server: RealtimeServer
) -> None:
    from inspector.store.profiles.identities import Identity

    identities = (
        Identity("i1", "bob", "minted", sub=BOB["sub"], email=BOB["email"]),
        Identity("i2", "admin", "key"),
        Identity("i3", "ghost", "token"),  # its token is not in the keychain
    )
    profile = window.add_session_profile(
        Profile("withids", "With identities", server.url, identities=identities), server.anon_key
    )
    window.secrets.stage_identity(profile.id, "i1", "jwt_secret", server.config.jwt_secret)
    window.secrets.stage_identity(profile.id, "i2", "key", server.service_role_key)
    window.secrets.commit(profile.id)
    dock = window.authz_dock
    panel = dock.panel
    dock.show()
    assert dock.identities_path is None
    assert panel.checked_identities() == ["bob", "admin"]
    assert panel.observer() == "admin"
    assert "2 identities of profile “With identities”" in panel.source_label.text()
    assert "identity 'ghost' of profile 'With identities' has no access token" in (
        panel.note_label.text()
    )
    panel.set_checked(["bob"])
    panel.channels_edit.setText("team-news")
    panel.private_box.setChecked(True)
    assert dock.run()
    await dock.wait()
    cell = panel.matrix.get("bob", ChannelRef("team-news", True), Capability.SEND_WS)
    assert cell is not None
    assert cell.verdict is Verdict.ALLOWED
    assert "admin (observer)" in cell.reason


async def test_an_identity_that_cannot_sign_in_does_not_stop_the_others(
    window: MainWindow,
    server: RealtimeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QA (issue #13): one identity whose sign-in was refused stopped the whole run and left
    every cell showing "…" (measuring) for ever. The others are measured; its cells are
    unknown with the reason."""
    window.add_session_profile(Profile("live", "Local", server.url), server.anon_key)
    path = _identities_file(tmp_path, server, monkeypatch)
    data = yaml.safe_load(path.read_text())
    data["carol"] = {"email": "carol@example.com", "password": "wrong"}  # no such user
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    dock = window.authz_dock
    panel = dock.panel
    dock.show()
    assert dock.open_identities(path)
    panel.set_checked(["alice", "carol"])
    panel.channels_edit.setText("private:team-news")
    assert dock.run()
    await dock.wait()
    channel = ChannelRef("team-news", True)
    for cap in CAPABILITIES:
        carol = panel.matrix.get("carol", channel, cap)
        assert carol is not None, cap
        assert carol.verdict is Verdict.UNKNOWN
        assert carol.reason.startswith("not measured: carol could not sign in: ")
        item = panel.item("carol", channel, cap)
        assert item is not None
        assert item.text() != "…"
    want = implied(rules_of(tmp_path), ALICE, "team-news", True)
    for cap in CAPABILITIES:
        alice = panel.matrix.get("alice", channel, cap)
        assert alice is not None
        assert alice.verdict.value == want[cap.value], (cap, alice)
    assert "carol could not sign in" in panel.note_label.text()
    # a cancelled run leaves no cell "measuring" either
    assert dock.run()
    await asyncio.sleep(0)  # a yield, not a wait: the run's task has started when Cancel comes
    dock.cancel()
    await dock.wait()
    assert panel.note_label.text().startswith("Cancelled")
    for cap in CAPABILITIES:
        item = panel.item("alice", channel, cap)
        assert item is not None
        assert item.text() != "…"
        cell = panel.matrix.get("alice", channel, cap)
        assert cell is not None
        assert cell.reason == "not measured: Cancelled"


def rules_of(tmp_path: Path) -> Rules:
    return Rules.from_file(tmp_path / "rules.toml")
