"""The opted-in plain-text secrets file (issue #10 item 12): created 0600 atomically, never
readable by others, whatever stale temp files or symlinks lie next to it."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from inspector.ui.profiles.secrets import API_KEY, PLAINTEXT_FILE, SecretStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")

SECRET = "sb_secret_0123456789abcdefABCDEF"


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """An empty folder of its own (tmp_path also holds the isolated settings)."""
    path = tmp_path / "secrets-dir"
    path.mkdir()
    return path


@pytest.fixture
def no_keychain() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _store(directory: Path) -> SecretStore:
    store = SecretStore(directory, plaintext_opt_in=True)
    assert not store.keychain_available
    return store


def test_file_is_0600_under_a_permissive_umask(directory: Path, no_keychain: None) -> None:
    old = os.umask(0)
    try:
        _store(directory).set("p1", API_KEY, SECRET)
    finally:
        os.umask(old)
    path = directory / PLAINTEXT_FILE
    assert _mode(path) == 0o600
    assert json.loads(path.read_text())["p1"][API_KEY] == SECRET
    assert sorted(p.name for p in directory.iterdir()) == [PLAINTEXT_FILE]  # no temp file left


def test_stale_world_readable_temp_file_is_not_reused(directory: Path, no_keychain: None) -> None:
    stale = directory / "secrets-plaintext.tmp"  # the name earlier versions wrote through
    stale.write_text("stale")
    stale.chmod(0o644)
    _store(directory).set("p1", API_KEY, SECRET)
    path = directory / PLAINTEXT_FILE
    assert _mode(path) == 0o600
    assert SECRET not in stale.read_text()
    assert _mode(stale) == 0o644  # left alone: not ours


def test_symlinked_temp_name_is_not_followed(directory: Path, no_keychain: None) -> None:
    elsewhere = directory / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "loot.txt"
    target.write_text("")
    target.chmod(0o644)
    settings = directory / "settings"
    settings.mkdir()
    (settings / "secrets-plaintext.tmp").symlink_to(target)
    _store(settings).set("p1", API_KEY, SECRET)
    assert target.read_text() == ""
    path = settings / PLAINTEXT_FILE
    assert not path.is_symlink()
    assert _mode(path) == 0o600


def test_existing_world_readable_file_is_tightened(directory: Path, no_keychain: None) -> None:
    path = directory / PLAINTEXT_FILE
    path.write_text(json.dumps({"p1": {API_KEY: SECRET}}))
    path.chmod(0o644)
    assert _store(directory).get("p1", API_KEY) == SECRET
    assert _mode(path) == 0o600


def test_opt_in_rewrites_atomically_and_opt_out_deletes(directory: Path, no_keychain: None) -> None:
    store = _store(directory)
    store.set("p1", API_KEY, SECRET)
    first = (directory / PLAINTEXT_FILE).stat().st_ino
    store.set("p2", API_KEY, SECRET + "x")
    path = directory / PLAINTEXT_FILE
    assert path.stat().st_ino != first  # replaced by rename, never rewritten in place
    assert _mode(path) == 0o600
    store.set_plaintext_opt_in(False)
    assert list(directory.iterdir()) == []
