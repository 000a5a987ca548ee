"""The peer harness fails loudly, never skips, when the official clients are not installed."""

from __future__ import annotations

from pathlib import Path

import peers
import pytest


def test_missing_node_fails_with_the_setup_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peers.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"bash scripts/bootstrap.sh setup"):
        peers.js_command()


def test_missing_node_modules_fail_with_the_setup_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(peers, "JS_DIR", tmp_path)
    with pytest.raises(
        pytest.fail.Exception, match=r"@supabase/realtime-js is missing.*bootstrap.sh setup"
    ):
        peers.js_command()


def test_missing_realtime_py_venv_fails_with_the_setup_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(peers, "PY_VENV_PYTHON", tmp_path / "nope" / "python")
    with pytest.raises(pytest.fail.Exception, match=r"realtime-py venv.*bootstrap.sh setup"):
        peers.py_command()


def test_installed_peers_are_found() -> None:
    assert Path(peers.js_command()[1]).name == "peer.mjs"
    assert Path(peers.py_command()[0]).is_file()


def test_redaction_of_jwt_shaped_strings() -> None:
    line = 'token "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl" end'
    assert peers.redact(line) == 'token "<jwt>" end'
