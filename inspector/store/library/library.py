"""Saved messages and the library file that keeps them (issue #11 item 1).

One library is one human-readable JSON file (indent 2, keys in a fixed order, UTF-8, a final
newline), so a team can keep one in its repository and review changes in diffs::

    {
      "version": 1,
      "folders": ["chat"],
      "messages": [
        {"name": "hello", "folder": "chat", "event": "message", "format": "json",
         "payload": "{\\"n\\": \\"{{seq}}\\"}", "ack": true, "self": false, "via": "websocket",
         "channel": "room-1", "note": "..."}
      ]
    }

- ``payload`` is always text: the editor's text with variables (``{{seq}}``,
  :mod:`inspector.protocol.template`), which need not be valid JSON before expansion. A binary
  message (``"format": "binary"``) keeps its bytes as hex or base64 text (``"encoding"``), the
  composer's two ways of typing bytes.
- Names are unique within a folder (the same name may live in two folders); folders are one
  level deep and their names hold no ``/``, so ``folder/name`` names one message everywhere
  (the CLI's ``send --saved``).
- Fields this version does not know, at the top and in each message, are kept and written
  back in their place after the known ones.
- Writes are atomic: a temporary file in the same directory, flushed and fsynced, then
  ``os.replace``; a crash leaves the old file or the new one, never half of one.
- A file that fails to parse is never overwritten: :func:`load_library` raises
  :class:`LibraryError` with the line and column, and :meth:`Library.save` refuses to replace
  its own file if the file on disk no longer parses.
- A file with a newer ``version`` opens read-only (:attr:`Library.read_only` says why): saving
  it could drop what the newer version meant.

The default library is ``library.json`` under ``platformdirs.user_data_dir("realtime-inspector")``;
the ``RI_LIBRARY`` environment variable names another file (tests, a team's shared library).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import platformdirs

from inspector.store.messages.records import Transport

#: The file format this code writes and fully understands.
LIBRARY_VERSION: Final = 1
#: Environment variable naming the default library file (overrides the platform's data dir).
ENV_VAR: Final = "RI_LIBRARY"
APP_DIR_NAME: Final = "realtime-inspector"
DEFAULT_FILE_NAME: Final = "library.json"
BINARY_ENCODINGS: Final = ("base64", "hex")

_MESSAGE_KEYS: Final = (
    "name",
    "folder",
    "event",
    "format",
    "encoding",
    "payload",
    "ack",
    "self",
    "via",
    "channel",
    "note",
)
_TOP_KEYS: Final = ("version", "folders", "messages")


def default_library_path(env: Mapping[str, str] | None = None) -> Path:
    """``$RI_LIBRARY`` when set, else ``library.json`` in the platform's user data directory."""
    env = os.environ if env is None else env
    named = env.get(ENV_VAR, "").strip()
    if named:
        return Path(named).expanduser()
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)) / DEFAULT_FILE_NAME


class LibraryError(ValueError):
    """A library that cannot be read, or a change or save that is refused.

    ``line``/``column`` (1-based) point into the file when the problem has a place there.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        where = ""
        if path is not None:
            where = str(path)
            if line is not None:
                where += f", line {line}" + (f", column {column}" if column is not None else "")
            where += ": "
        elif line is not None:
            where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
        self.reason = message
        super().__init__(where + message)


@dataclass(frozen=True)
class SavedMessage:
    """One saved message: what the composer (or ``send``) needs to send it again."""

    name: str
    event: str
    #: the payload as typed, with variables: JSON text, or hex/base64 text when ``binary``.
    payload: str = ""
    folder: str = ""
    binary: bool = False
    #: how the bytes of a binary message are written: ``base64`` or ``hex``.
    encoding: str = "base64"
    ack: bool = False
    self_: bool = False
    via: Transport = Transport.WEBSOCKET
    #: the channel it was saved from (a hint: the window sends on the current tab).
    channel: str | None = None
    note: str = ""
    #: fields of a newer version, kept as read and written back.
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.folder, self.name)

    @property
    def ref(self) -> str:
        """``folder/name`` or ``name``: how the CLI names it (``send --saved``)."""
        return f"{self.folder}/{self.name}" if self.folder else self.name

    def matches(self, text: str) -> bool:
        """Whether a search ``text`` is in the name, event, folder or note (case-insensitive)."""
        needle = text.strip().casefold()
        if not needle:
            return True
        return any(
            needle in part.casefold() for part in (self.name, self.event, self.folder, self.note)
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.folder:
            out["folder"] = self.folder
        out["event"] = self.event
        out["format"] = "binary" if self.binary else "json"
        if self.binary:
            out["encoding"] = self.encoding
        out["payload"] = self.payload
        out["ack"] = self.ack
        out["self"] = self.self_
        out["via"] = self.via.value
        if self.channel is not None:
            out["channel"] = self.channel
        if self.note:
            out["note"] = self.note
        for key, value in self.extra.items():
            if key not in out:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: Any) -> SavedMessage:
        """A message from its file object; :class:`LibraryError` (no place) when malformed."""
        if not isinstance(data, dict):
            raise LibraryError("a message must be a JSON object")

        def text(key: str, default: str | None = None) -> str:
            value = data.get(key, default)
            if not isinstance(value, str):
                what = "missing" if key not in data else "not a string"
                raise LibraryError(f"{key!r} is {what}")
            return value

        def flag(key: str) -> bool:
            value = data.get(key, False)
            if not isinstance(value, bool):
                raise LibraryError(f"{key!r} must be true or false")
            return value

        fmt = text("format", "json")
        if fmt not in ("json", "binary"):
            raise LibraryError(f'\'format\' must be "json" or "binary", not {fmt!r}')
        encoding = text("encoding", "base64")
        if encoding not in BINARY_ENCODINGS:
            raise LibraryError(f'\'encoding\' must be "base64" or "hex", not {encoding!r}')
        via = text("via", "websocket")
        try:
            transport = Transport(via)
        except ValueError:
            raise LibraryError(f'\'via\' must be "websocket" or "rest", not {via!r}') from None
        channel = data.get("channel")
        if channel is not None and not isinstance(channel, str):
            raise LibraryError("'channel' must be a string")
        message = cls(
            name=text("name"),
            event=text("event"),
            payload=text("payload", ""),
            folder=text("folder", ""),
            binary=fmt == "binary",
            encoding=encoding,
            ack=flag("ack"),
            self_=flag("self"),
            via=transport,
            channel=channel or None,
            note=text("note", ""),
            extra={k: v for k, v in data.items() if k not in _MESSAGE_KEYS},
        )
        check_name(message.name)
        check_folder(message.folder)
        return message


def check_name(name: str) -> None:
    """:class:`LibraryError` unless ``name`` is a usable message name."""
    if not name.strip():
        raise LibraryError("a message needs a name")
    if "/" in name:
        # `folder/name` names one message (send --saved): a '/' in a name would be ambiguous
        raise LibraryError(f"name {name!r}: message names cannot contain '/'")
    if name != name.strip() or re.search(r"[\x00-\x1f\x7f]", name):
        raise LibraryError(
            f"name {name!r}: no leading or trailing spaces, no line breaks or control characters"
        )


def check_folder(folder: str) -> None:
    """:class:`LibraryError` unless ``folder`` is a usable folder name (``""``: no folder)."""
    if not folder:
        return
    if "/" in folder:
        raise LibraryError(f"folder {folder!r}: folder names cannot contain '/'")
    if folder != folder.strip() or re.search(r"[\x00-\x1f\x7f]", folder):
        raise LibraryError(
            f"folder {folder!r}: no leading or trailing spaces, no line breaks or control "
            "characters"
        )


@dataclass(frozen=True)
class Snapshot:
    """The library's contents at one moment (for undo)."""

    messages: tuple[SavedMessage, ...]
    folders: tuple[str, ...]


class Library:
    """An ordered list of saved messages and folders, from one file (or none yet)."""

    def __init__(
        self,
        messages: Iterable[SavedMessage] = (),
        folders: Iterable[str] = (),
        *,
        path: Path | None = None,
        version: int = LIBRARY_VERSION,
        extra: Mapping[str, Any] | None = None,
        read_only: str | None = None,
    ) -> None:
        self.path = path
        self.version = version
        self.extra: dict[str, Any] = dict(extra or {})
        #: why this library cannot be saved (a newer file version), or None.
        self.read_only = read_only
        #: the file's text when last read or written (None: there was no file), to refuse
        #: overwriting changes made on disk since (a ``git pull`` of a team's library).
        self.disk_text: str | None = None
        self._messages: list[SavedMessage] = []
        self._folders: list[str] = []
        for folder in folders:
            self.add_folder(folder)
        for message in messages:
            self.add(message)

    # ------------------------------------------------------------------ reading

    @property
    def messages(self) -> list[SavedMessage]:
        return list(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def folders(self) -> list[str]:
        """Every folder: the declared ones (empty ones too), then those only messages name."""
        seen = list(self._folders)
        for message in self._messages:
            if message.folder and message.folder not in seen:
                seen.append(message.folder)
        return seen

    def get(self, folder: str, name: str) -> SavedMessage | None:
        for message in self._messages:
            if message.folder == folder and message.name == name:
                return message
        return None

    def index_of(self, folder: str, name: str) -> int:
        for i, message in enumerate(self._messages):
            if message.folder == folder and message.name == name:
                return i
        return -1

    def find(self, ref: str) -> SavedMessage:
        """The message ``ref`` names: ``folder/name``, or a ``name`` found in one place only."""
        folder, sep, name = ref.partition("/")
        if sep:
            found = self.get(folder, name)
            if found is not None:
                return found
        hits = [m for m in self._messages if m.name == ref]
        if len(hits) == 1:
            return hits[0]
        if hits:
            where = ", ".join(m.ref for m in hits)
            raise LibraryError(f"{ref!r} is in more than one folder: name one of {where}")
        names = ", ".join(m.ref for m in self._messages[:10]) or "none"
        more = "…" if len(self._messages) > 10 else ""
        raise LibraryError(f"no saved message {ref!r} (saved: {names}{more})")

    def search(self, text: str) -> list[SavedMessage]:
        return [m for m in self._messages if m.matches(text)]

    # ------------------------------------------------------------------ changing

    def _check_writable(self) -> None:
        if self.read_only:
            raise LibraryError(self.read_only)

    def add(self, message: SavedMessage, *, overwrite: bool = False, index: int = -1) -> None:
        """Append (or insert at ``index``); with ``overwrite`` replace the one of the same key."""
        check_name(message.name)
        check_folder(message.folder)
        at = self.index_of(message.folder, message.name)
        if at >= 0:
            if not overwrite:
                raise LibraryError(f"{message.ref!r} already exists")
            self._messages[at] = message
            return
        if index < 0 or index > len(self._messages):
            self._messages.append(message)
        else:
            self._messages.insert(index, message)

    def remove(self, folder: str, name: str) -> SavedMessage:
        at = self._require(folder, name)
        return self._messages.pop(at)

    def rename(self, folder: str, name: str, new_name: str) -> SavedMessage:
        at = self._require(folder, name)
        check_name(new_name)
        if new_name != name and self.get(folder, new_name) is not None:
            raise LibraryError(f"{SavedMessage(new_name, '', folder=folder).ref!r} already exists")
        self._messages[at] = replace(self._messages[at], name=new_name)
        return self._messages[at]

    def move(self, folder: str, name: str, to_folder: str, index: int = -1) -> SavedMessage:
        """Into ``to_folder`` (``""``: no folder), at ``index`` in the whole list (-1: after the
        folder's last message, or at the end)."""
        check_folder(to_folder)
        at = self._require(folder, name)
        if to_folder != folder and self.get(to_folder, name) is not None:
            raise LibraryError(f"{to_folder or 'the top level'} already has a message {name!r}")
        message = replace(self._messages.pop(at), folder=to_folder)
        if index < 0:
            last = max(
                (i for i, m in enumerate(self._messages) if m.folder == to_folder), default=-1
            )
            index = last + 1 if last >= 0 else len(self._messages)
        self._messages.insert(min(index, len(self._messages)), message)
        if to_folder:
            self.add_folder(to_folder)
        return message

    def duplicate(self, folder: str, name: str) -> SavedMessage:
        """A copy named ``name (copy)`` (``(copy 2)``, ...) right after the original."""
        at = self._require(folder, name)
        original = self._messages[at]
        candidate = f"{name} (copy)"
        n = 2
        while self.get(folder, candidate) is not None:
            candidate = f"{name} (copy {n})"
            n += 1
        copy = replace(original, name=candidate)
        self._messages.insert(at + 1, copy)
        return copy

    def add_folder(self, folder: str) -> None:
        check_folder(folder)
        if folder and folder not in self._folders:
            self._folders.append(folder)

    def remove_folder(self, folder: str) -> None:
        """Remove an empty folder; one with messages is refused."""
        if any(m.folder == folder for m in self._messages):
            raise LibraryError(f"folder {folder!r} is not empty")
        if folder in self._folders:
            self._folders.remove(folder)

    def rename_folder(self, folder: str, new_name: str) -> None:
        check_folder(new_name)
        if not new_name:
            raise LibraryError("a folder needs a name")
        if new_name != folder and new_name in self.folders():
            raise LibraryError(f"folder {new_name!r} already exists")
        self._folders = [new_name if f == folder else f for f in self._folders]
        if new_name not in self._folders:
            self._folders.append(new_name)
        self._messages = [
            replace(m, folder=new_name) if m.folder == folder else m for m in self._messages
        ]

    def _require(self, folder: str, name: str) -> int:
        at = self.index_of(folder, name)
        if at < 0:
            raise LibraryError(f"no saved message {SavedMessage(name, '', folder=folder).ref!r}")
        return at

    def snapshot(self) -> Snapshot:
        return Snapshot(tuple(self._messages), tuple(self._folders))

    def restore(self, snapshot: Snapshot) -> None:
        self._messages = list(snapshot.messages)
        self._folders = list(snapshot.folders)

    # ------------------------------------------------------------------ file

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": LIBRARY_VERSION,
            "folders": self.folders(),
            "messages": [m.to_json() for m in self._messages],
        }
        for key, value in self.extra.items():
            if key not in out:
                out[key] = value
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def save(self, path: Path | None = None) -> Path:
        """Write the library atomically to ``path`` (default: its own file) and return it.

        Refused when read-only, and when the library's own file no longer parses on disk (an
        edit by hand gone wrong is never overwritten by the window)."""
        self._check_writable()
        target = path if path is not None else self.path
        if target is None:
            raise LibraryError("this library has no file yet: choose one")
        own = self.path is not None and _same_file(target, self.path)
        if own:
            _refuse_if_corrupt(target)
            if _read_text(target) != self.disk_text:
                raise LibraryError(
                    "the file changed on disk since it was read; not overwritten. Reload it "
                    "(this change is not saved) or save elsewhere.",
                    path=target,
                )
        text = self.dumps()
        atomic_write(target, text)
        if path is None or self.path is None:
            self.path = target
            own = True
        if own:
            self.disk_text = text
        return target


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(f"cannot read it to check it before saving: {exc}", path=path) from exc


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


def _refuse_if_corrupt(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(f"cannot read it to check it before saving: {exc}", path=path) from exc
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise LibraryError(
            f"the file no longer parses ({exc.msg}); not overwritten. Fix it or save elsewhere.",
            path=path,
            line=exc.lineno,
            column=exc.colno,
        ) from None


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically: temp file in the same directory, fsync,
    ``os.replace``, then fsync the directory. The temp file is removed on any failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return None if at < 0 else text.count("\n", 0, at) + 1


def parse_library(text: str, path: Path | None = None) -> Library:
    """A library from file text; :class:`LibraryError` with the line for anything wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LibraryError(
            f"not valid JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno
        ) from None
    except RecursionError:
        raise LibraryError("not valid JSON: nested too deeply", path=path) from None
    if not isinstance(data, dict):
        raise LibraryError(
            "a library file is a JSON object with 'version' and 'messages'", path=path, line=1
        )
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise LibraryError(
            "'version' is missing or not a positive whole number (this is not a library file?)",
            path=path,
            line=_line_of(text, '"version"') or 1,
        )
    read_only = None
    if version > LIBRARY_VERSION:
        read_only = (
            f"{path or 'this library'} has format version {version}, made by a newer "
            f"Realtime Inspector (this one writes version {LIBRARY_VERSION}): opened read-only "
            "so nothing it means is lost. Update the inspector to change it."
        )
    raw_messages = data.get("messages", [])
    raw_folders = data.get("folders", [])
    if not isinstance(raw_messages, list):
        raise LibraryError(
            "'messages' must be a list", path=path, line=_line_of(text, '"messages"')
        )
    if not isinstance(raw_folders, list) or not all(isinstance(f, str) for f in raw_folders):
        raise LibraryError(
            "'folders' must be a list of names", path=path, line=_line_of(text, '"folders"')
        )
    library = Library(
        path=path,
        version=version,
        extra={k: v for k, v in data.items() if k not in _TOP_KEYS},
        read_only=read_only,
    )
    for folder in raw_folders:
        try:
            library.add_folder(folder)
        except LibraryError as exc:
            raise LibraryError(
                exc.reason, path=path, line=_line_of(text, json.dumps(folder))
            ) from None
    for i, raw in enumerate(raw_messages, 1):
        name = raw.get("name") if isinstance(raw, dict) else None
        label = f"message {i}" + (f" ({name!r})" if isinstance(name, str) else "")
        line = (
            _line_of(text, json.dumps(name, ensure_ascii=False)) if isinstance(name, str) else None
        )
        try:
            library.add(SavedMessage.from_json(raw))
        except LibraryError as exc:
            raise LibraryError(f"{label}: {exc.reason}", path=path, line=line) from None
    return library


def load_library(path: Path, *, missing_ok: bool = True) -> Library:
    """Read the library at ``path``; a missing file is an empty library (created on save)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return Library(path=path)
        raise LibraryError("no such file", path=path) from None
    except OSError as exc:
        raise LibraryError(f"cannot read it: {exc.strerror or exc}", path=path) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise LibraryError("not UTF-8 text", path=path, line=line) from None
    library = parse_library(text, path)
    library.disk_text = text
    return library
