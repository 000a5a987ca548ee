"""SecretStore: API keys and user tokens in the OS keychain, never in QSettings or logs.

Qt-free, so that the window and the CLI (``listen``/``send --identity``) share it; the window
imports it as ``inspector.ui.profiles.secrets``.

- With a keychain backend (Secret Service, macOS Keychain, Windows Credential Locker) secrets
  go there, under the service ``realtime-inspector`` and the user ``<profile id>:<kind>``.
  A profile's own secrets are the kinds ``apikey`` and ``access_token``; its identities'
  secrets (issue #13 §1) are ``identity.<identity id>.<field>`` (key, token, refresh_token,
  password, jwt_secret; :mod:`inspector.store.profiles.identities`).
- Without one (headless Linux), they are kept in memory for this session only, and the UI says
  so. Saving them in plain text is possible only after an explicit opt-in that the UI labels
  as such; they then go to ``secrets-plaintext.json`` (mode 600) next to the settings file,
  never into the settings file itself. The file is replaced atomically through a fresh 0600
  temp file (never a stale one), and an existing file readable by others is made private.
- Keychain errors (locked, refused) fall back to memory with a message; nothing raises.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from inspector.client.errors import InspectorError
from inspector.client.identity import IdentitySpec, MintSpec
from inspector.store.profiles.identities import (
    ALL_SECRET_FIELDS,
    SECRET_PREFIX,
    Identity,
    secret_kind,
)
from inspector.store.profiles.profiles import Profile

SERVICE: Final = "realtime-inspector"
API_KEY: Final = "apikey"
ACCESS_TOKEN: Final = "access_token"
KINDS: Final = (API_KEY, ACCESS_TOKEN)
#: What identity secrets' kinds start with (``identity.<id>.<field>``).
IDENTITY_PREFIX: Final = SECRET_PREFIX
PLAINTEXT_FILE: Final = "secrets-plaintext.json"

log = logging.getLogger(__name__)


def keychain_backend() -> KeyringBackend | None:
    """The usable keyring backend, or None when there is no real keychain."""
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration means "no keychain"
        return None
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


class SecretStore:
    """Get and set a profile's secrets; memory first, then keychain or opted-in plaintext."""

    def __init__(
        self, plaintext_dir: Path | None = None, *, plaintext_opt_in: bool = False
    ) -> None:
        self._memory: dict[tuple[str, str], str] = {}
        #: what the keychain (or the plaintext file) is known to hold, to skip needless writes.
        self._persisted: dict[tuple[str, str], str] = {}
        self._backend = keychain_backend()
        self._plaintext_path = plaintext_dir / PLAINTEXT_FILE if plaintext_dir else None
        self._opt_in = plaintext_opt_in and self._plaintext_path is not None
        #: the last keychain error in plain words, or "".
        self.last_error = ""
        #: why the opted-in plain-text file could not be read, or "".
        self.plaintext_error = ""

    # ------------------------------------------------------------------------------ status

    @property
    def keychain_available(self) -> bool:
        return self._backend is not None

    @property
    def keychain_name(self) -> str:
        b = self._backend
        return "" if b is None else getattr(b, "name", type(b).__name__)

    @property
    def plaintext_opt_in(self) -> bool:
        return self._opt_in

    @property
    def plaintext_path(self) -> Path | None:
        return self._plaintext_path

    def describe(self) -> str:
        """One sentence for the profiles dialog: where keys and tokens are kept."""
        if self._backend is not None:
            text = f"Keys and tokens are stored in the system keychain ({self.keychain_name})."
        elif self._opt_in:
            text = (
                f"No system keychain: keys and tokens are saved IN PLAIN TEXT in "
                f"{self._plaintext_path} because you opted in."
            )
        else:
            text = (
                "No system keychain found: keys and tokens are kept in memory for this "
                "session only and must be entered again after a restart."
            )
        if self.last_error:
            text += f" Keychain error: {self.last_error}"
        if self.plaintext_error:
            text += f" {self.plaintext_error}"
        return text

    def describe_location(self) -> str:
        """Where secrets are looked up, in a few words (for "not found in …" messages)."""
        if self._backend is not None:
            return f"the system keychain ({self.keychain_name})"
        if self._opt_in:
            return f"the plain-text secrets file {self._plaintext_path}"
        return "memory (there is no system keychain and no plain-text opt-in)"

    # ------------------------------------------------------------------------------ access

    def get(self, profile_id: str, kind: str) -> str:
        key = (profile_id, kind)
        if key in self._memory:
            return self._memory[key]
        value = ""
        if self._backend is not None:
            try:
                value = self._backend.get_password(SERVICE, f"{profile_id}:{kind}") or ""
            except Exception as exc:  # KeyringError, or a backend's own (D-Bus...): never raise
                self._keychain_failed(exc)
        elif self._opt_in:
            value = self._read_plaintext().get(profile_id, {}).get(kind, "")
        if value:
            self._memory[key] = value
            self._persisted[key] = value
        return value

    def stage(self, profile_id: str, kind: str, value: str) -> None:
        """Keep an edited value in memory only; :meth:`commit` stores it (no keychain write
        per keystroke)."""
        if value:
            self._memory[(profile_id, kind)] = value
        else:
            self._memory.pop((profile_id, kind), None)

    def commit(self, profile_id: str) -> None:
        """Store the profile's staged values in the keychain (or the opted-in file): its key
        and token, and every identity secret staged or stored (an emptied one is deleted)."""
        kinds = dict.fromkeys(KINDS)
        for pid, kind in (*self._memory, *self._persisted):
            if pid == profile_id:
                kinds[kind] = None
        for kind in kinds:
            self.set(profile_id, kind, self._memory.get((profile_id, kind), ""))

    def identity_secret(self, profile_id: str, identity_id: str, secret_field: str) -> str:
        """One secret of an identity ("" when the keychain has none)."""
        return self.get(profile_id, secret_kind(identity_id, secret_field))

    def stage_identity(
        self, profile_id: str, identity_id: str, secret_field: str, value: str
    ) -> None:
        """Keep an identity's secret in memory until :meth:`commit`."""
        self.stage(profile_id, secret_kind(identity_id, secret_field), value)

    def delete_identity(self, profile_id: str, identity_id: str) -> None:
        """Forget every secret of an identity, in memory and in the keychain."""
        for secret_field in ALL_SECRET_FIELDS:
            self.set(profile_id, secret_kind(identity_id, secret_field), "")

    def set(self, profile_id: str, kind: str, value: str) -> None:
        key = (profile_id, kind)
        self.stage(profile_id, kind, value)
        if self._persisted.get(key, "") == value:
            return
        self._persisted[key] = value
        if self._backend is not None:
            try:
                if value:
                    self._backend.set_password(SERVICE, f"{profile_id}:{kind}", value)
                else:
                    with contextlib.suppress(keyring.errors.PasswordDeleteError):
                        self._backend.delete_password(SERVICE, f"{profile_id}:{kind}")
            except Exception as exc:  # KeyringError, or a backend's own: never raise
                self._persisted.pop(key, None)
                self._keychain_failed(exc)
        elif self._opt_in:
            data = self._read_plaintext()
            entry = data.setdefault(profile_id, {})
            if value:
                entry[kind] = value
            else:
                entry.pop(kind, None)
            if not entry:
                data.pop(profile_id, None)
            self._write_plaintext(data)

    def set_session_only(self, profile_id: str, kind: str, value: str) -> None:
        """Keep a secret in memory for this session, never stored (the demo's public keys)."""
        self.stage(profile_id, kind, value)

    def delete_profile(self, profile_id: str, identity_ids: Iterable[str] = ()) -> None:
        """Forget the profile's key and token, and the secrets of these identities (the
        keychain cannot be listed: the caller names the profile's identities)."""
        for kind in KINDS:
            self.set(profile_id, kind, "")
        for identity_id in identity_ids:
            self.delete_identity(profile_id, identity_id)

    def set_plaintext_opt_in(self, opt_in: bool) -> None:
        """Turn plaintext saving on (writes the in-memory secrets) or off (deletes the file)."""
        if self._plaintext_path is None or self._backend is not None:
            return
        self._opt_in = opt_in
        if opt_in:
            data: dict[str, dict[str, str]] = {}
            for (pid, kind), value in self._persisted.items():
                if value:
                    data.setdefault(pid, {})[kind] = value
            self._write_plaintext(data)
        else:
            with contextlib.suppress(FileNotFoundError):
                self._plaintext_path.unlink()

    # ------------------------------------------------------------------------------ internals

    def _keychain_failed(self, exc: Exception) -> None:
        self.last_error = f"{type(exc).__name__}; kept in memory for this session"
        log.warning("keychain unavailable (%s); secrets stay in memory", type(exc).__name__)

    def _read_plaintext(self) -> dict[str, dict[str, str]]:
        if self._plaintext_path is None:
            return {}
        if os.name == "posix":
            _tighten(self._plaintext_path)
        try:
            data = json.loads(self._plaintext_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            return self._plaintext_unreadable(type(exc).__name__)
        if not isinstance(data, dict):
            return self._plaintext_unreadable("not a JSON object")
        self.plaintext_error = ""
        return {
            str(pid): {
                k: v
                for k, v in entry.items()
                if (k in KINDS or k.startswith(IDENTITY_PREFIX)) and isinstance(v, str)
            }
            for pid, entry in data.items()
            if isinstance(entry, dict)
        }

    def _plaintext_unreadable(self, reason: str) -> dict[str, dict[str, str]]:
        self.plaintext_error = (
            f"{PLAINTEXT_FILE} could not be read ({reason}): its keys and tokens must be "
            "entered again."
        )
        log.warning("%s could not be read (%s)", PLAINTEXT_FILE, reason)
        return {}

    def _write_plaintext(self, data: dict[str, dict[str, str]]) -> None:
        """Replace the file atomically, never readable by others (issue #10 item 12).

        The new content goes to a temp file that ``mkstemp`` creates with ``O_EXCL`` and mode
        0600 under a fresh random name in the same folder (so a stale temp file, world-readable
        or a symlink, is never opened), is fsynced, then renamed over the old file; the folder
        is fsynced so the rename survives a crash. A failure leaves the old file and no temp.
        """
        assert self._plaintext_path is not None
        path = self._plaintext_path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # mkstemp's mode already; explicit against odd platforms
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(path.parent)


def _tighten(path: Path) -> None:
    """Make an existing secrets file (e.g. from an older version) private to its owner."""
    try:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            log.warning("the plain-text secrets file was readable by others; now mode 600")
    except OSError:
        pass


def _fsync_dir(directory: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------ identities


class MissingSecret(InspectorError):
    """An identity whose secret the keychain does not hold (another computer, no keychain)."""


_SECRET_WORDS: Final = {
    "key": "API key",
    "token": "access token",
    "password": "password",
    "jwt_secret": "JWT secret",
}


def identity_spec(secrets: SecretStore, profile: Profile, identity: Identity) -> IdentitySpec:
    """The client's :class:`IdentitySpec` of a saved identity, its secrets read from the
    keychain; :class:`MissingSecret` names what is missing and where it was looked for."""
    values: dict[str, str] = {}
    for secret_field in identity.secret_fields:
        value = secrets.identity_secret(profile.id, identity.id, secret_field)
        if not value and secret_field != "refresh_token":
            where = secrets.describe_location()
            raise MissingSecret(
                f"identity {identity.name!r} of profile {profile.name!r} has no "
                f"{_SECRET_WORDS[secret_field]} in {where}: enter it again in the window's "
                "Profiles dialog (Identities)"
            )
        values[secret_field] = value
    kind = identity.kind
    if kind == "key":
        return IdentitySpec(identity.name, key=values["key"])
    if kind == "token":
        return IdentitySpec(
            identity.name, token=values["token"], refresh_token=values.get("refresh_token") or None
        )
    if kind == "password":
        return IdentitySpec(identity.name, email=identity.email, password=values["password"])
    if kind == "minted":
        mint = MintSpec(
            values["jwt_secret"],
            role=identity.role,
            sub=identity.sub,
            email=identity.email,
            claims=identity.claims,
            lifetime_s=identity.lifetime_s,
        )
        return IdentitySpec(identity.name, mint=mint)
    return IdentitySpec(identity.name)
