"""SecretStore when the keychain or the plain-text file misbehaves (issue 10 #25).

Reading and deleting fail in the keychain (locked, refused, a backend's own exception), the
keyring backend raises while it loads, the opted-in plain-text file is corrupt: nothing raises
into the window, the value falls back to memory (or nothing), and the profiles dialog's sentence
(``describe()``) says what happened. Only reading and errors are tested here; the file's writes
(mode 0600, atomic) have their own tests.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest

from inspector.ui.profiles.secrets import API_KEY, PLAINTEXT_FILE, SERVICE, SecretStore


def broken(memory_keyring: Any, **methods: BaseException) -> Any:
    """A copy of the in-memory test keychain whose named methods raise."""
    base = type(memory_keyring)

    def raiser(exc: BaseException) -> Any:
        def method(self: Any, *args: Any) -> Any:
            raise exc

        return method

    cls = type("Broken", (base,), {name: raiser(exc) for name, exc in methods.items()})
    backend = cls()
    backend.store = memory_keyring.store
    keyring.set_keyring(backend)
    return backend


@pytest.mark.parametrize(
    "error",
    [
        keyring.errors.KeyringLocked("the keychain is locked"),
        keyring.errors.InitError("no D-Bus session"),
        RuntimeError("a backend's own exception"),  # e.g. a D-Bus library error, not wrapped
    ],
    ids=["locked", "init", "backend-own"],
)
def test_a_keychain_read_error_gives_nothing_and_says_why(
    memory_keyring: Any, error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    memory_keyring.store[(SERVICE, f"p:{API_KEY}")] = "stored-key"
    broken(memory_keyring, get_password=error)
    secrets = SecretStore(None)
    with caplog.at_level(logging.WARNING):
        assert secrets.get("p", API_KEY) == ""
    assert type(error).__name__ in secrets.describe()
    assert "kept in memory for this session" in secrets.describe()
    assert "stored-key" not in caplog.text


def test_a_keychain_delete_error_does_not_raise_and_says_why(memory_keyring: Any) -> None:
    memory_keyring.store[(SERVICE, f"p:{API_KEY}")] = "stored-key"
    broken(memory_keyring, delete_password=keyring.errors.KeyringLocked("locked"))
    secrets = SecretStore(None)
    assert secrets.get("p", API_KEY) == "stored-key"
    secrets.delete_profile("p")
    assert "KeyringLocked" in secrets.describe()


def test_a_backend_own_delete_error_does_not_raise(memory_keyring: Any) -> None:
    broken(memory_keyring, delete_password=RuntimeError("D-Bus went away"))
    secrets = SecretStore(None)
    secrets.set("p", API_KEY, "k")
    secrets.delete_profile("p")
    assert "RuntimeError" in secrets.describe()


def test_deleting_what_the_keychain_never_had_is_not_an_error(memory_keyring: Any) -> None:
    broken(memory_keyring, delete_password=keyring.errors.PasswordDeleteError("not found"))
    secrets = SecretStore(None)
    secrets.set("never", API_KEY, "k")
    memory_keyring.store.clear()
    secrets.delete_profile("never")
    assert secrets.get("never", API_KEY) == ""
    assert "error" not in secrets.describe().lower()


def test_a_backend_that_raises_on_load_means_no_keychain(
    monkeypatch: pytest.MonkeyPatch, isolated_settings: Path
) -> None:
    def explode() -> Any:
        raise RuntimeError("cannot load keyring backend")

    monkeypatch.setattr(keyring, "get_keyring", explode)
    secrets = SecretStore(isolated_settings)
    assert not secrets.keychain_available
    assert "kept in memory for this session only" in secrets.describe()
    secrets.set("p", API_KEY, "k")
    assert secrets.get("p", API_KEY) == "k"
    assert not (isolated_settings / PLAINTEXT_FILE).exists()  # no opt-in, no file


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]", b'{"p": {"apikey": 5}}'],
    ids=["not-json", "not-utf8", "not-an-object", "not-a-string"],
)
def test_a_corrupt_plaintext_file_reads_as_nothing_and_says_so(
    memory_keyring: Any, isolated_settings: Path, content: bytes
) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    path = isolated_settings / PLAINTEXT_FILE
    path.write_bytes(content)
    path.chmod(0o600)
    secrets = SecretStore(isolated_settings, plaintext_opt_in=True)
    assert secrets.get("p", API_KEY) == ""
    if content != b'{"p": {"apikey": 5}}':  # a valid file with a value of the wrong type
        assert f"{PLAINTEXT_FILE} could not be read" in secrets.describe()


def test_a_readable_plaintext_file_reads_back(memory_keyring: Any, isolated_settings: Path) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    path = isolated_settings / PLAINTEXT_FILE
    path.write_text(json.dumps({"p": {API_KEY: "k", "other": "x"}}), encoding="utf-8")
    path.chmod(0o600)
    secrets = SecretStore(isolated_settings, plaintext_opt_in=True)
    assert secrets.get("p", API_KEY) == "k"
    assert "could not be read" not in secrets.describe()
