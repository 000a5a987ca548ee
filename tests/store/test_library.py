"""The library file (issue #11 item 1): round trip, unknown fields kept, atomic writes,
corrupt files never overwritten, errors with the line; and prepare_send (item 2)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector.protocol import jwt
from inspector.protocol.template import TemplateError, Variables
from inspector.store import Transport
from inspector.store.library import (
    ENV_VAR,
    LIBRARY_VERSION,
    Library,
    LibraryError,
    SavedMessage,
    claims_of,
    default_library_path,
    load_library,
    prepare_send,
)
from inspector.store.library import library as library_module


def _sample() -> Library:
    lib = Library(folders=["chat", "empty"])
    lib.add(
        SavedMessage(
            "hello",
            "message",
            '{\n  "n": "{{seq}}",\n  "text": "hi {{env.USER}}"\n}',
            folder="chat",
            ack=True,
            self_=True,
            channel="room-1",
            note="greets",
        )
    )
    lib.add(SavedMessage("bytes", "blob", "de ad be ef", binary=True, encoding="hex"))
    lib.add(SavedMessage("rest one", "ping", "{}", via=Transport.REST))
    return lib


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    lib = _sample()
    lib.save(path)
    text = path.read_text()
    assert text.endswith("\n")
    assert '\n  "version": 1,' in text
    again = load_library(path)
    assert again.messages == lib.messages
    assert again.folders() == ["chat", "empty"]
    assert again.path == path
    assert again.read_only is None
    # stable: saving what was read writes the same bytes
    again.save()
    assert path.read_text() == text
    first = json.loads(text)["messages"][0]
    assert list(first) == [
        "name",
        "folder",
        "event",
        "format",
        "payload",
        "ack",
        "self",
        "via",
        "channel",
        "note",
    ]


def test_unknown_fields_kept(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "owner": {"team": "qa"},
                "messages": [
                    {"name": "a", "event": "e", "payload": "{}", "colour": "red", "tags": [1]}
                ],
            }
        )
    )
    lib = load_library(path)
    lib.add(SavedMessage("b", "e2"))
    lib.save()
    data = json.loads(path.read_text())
    assert data["owner"] == {"team": "qa"}
    assert data["messages"][0]["colour"] == "red"
    assert data["messages"][0]["tags"] == [1]
    lib.rename("", "a", "a2")  # a change keeps the message's unknown fields
    lib.save()
    assert json.loads(path.read_text())["messages"][0]["colour"] == "red"


def test_atomic_write_failure_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lib.json"
    lib = _sample()
    lib.save(path)
    before = path.read_bytes()
    lib.add(SavedMessage("new", "e"))

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(library_module.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        lib.save()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.json"]  # no temp file left
    monkeypatch.undo()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(library_module.os, "replace", broken_replace)
    with pytest.raises(OSError):
        lib.save()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.json"]


def test_corrupt_file_error_has_line_and_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    bad = '{\n  "version": 1,\n  "messages": [\n    {"name": "a",, "event": "e"}\n  ]\n}\n'
    path.write_text(bad)
    with pytest.raises(LibraryError) as info:
        load_library(path)
    assert info.value.line == 4
    assert info.value.column == 18
    assert "line 4, column 18" in str(info.value)
    assert str(path) in str(info.value)
    # A library loaded before the file went bad refuses to overwrite it.
    path.write_text(json.dumps({"version": 1, "messages": []}))
    lib = load_library(path)
    path.write_text(bad)
    lib.add(SavedMessage("x", "e"))
    with pytest.raises(LibraryError, match="line 4"):
        lib.save()
    assert path.read_text() == bad


def test_structure_errors_name_the_message_and_line(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    path.write_text(
        '{\n  "version": 1,\n  "messages": [\n    {"name": "ok", "event": "e"},\n'
        '    {"name": "broken", "event": 5}\n  ]\n}\n'
    )
    with pytest.raises(
        LibraryError, match="message 2 \\('broken'\\): 'event' is not a string"
    ) as info:
        load_library(path)
    assert info.value.line == 5
    path.write_text('{"messages": []}')
    with pytest.raises(LibraryError, match="version"):
        load_library(path)


def test_newer_version_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    text = json.dumps({"version": LIBRARY_VERSION + 1, "messages": [{"name": "a", "event": "e"}]})
    path.write_text(text)
    lib = load_library(path)
    assert lib.read_only is not None
    assert "newer" in lib.read_only
    assert lib.find("a").event == "e"
    with pytest.raises(LibraryError, match="read-only"):
        lib.save()
    assert path.read_text() == text


def test_names_unique_per_folder_and_find() -> None:
    lib = _sample()
    lib.add(SavedMessage("hello", "other"))  # same name, other folder: fine
    with pytest.raises(LibraryError, match="already exists"):
        lib.add(SavedMessage("hello", "x", folder="chat"))
    lib.add(SavedMessage("hello", "x", folder="chat"), overwrite=True)
    assert lib.find("chat/hello").event == "x"
    with pytest.raises(LibraryError, match="more than one folder"):
        lib.find("hello")
    assert lib.find("bytes").binary
    with pytest.raises(LibraryError, match="no saved message 'nope'"):
        lib.find("nope")
    with pytest.raises(LibraryError, match="cannot contain '/'"):
        lib.add(SavedMessage("a", "e", folder="a/b"))
    with pytest.raises(LibraryError, match="message names cannot contain '/'"):
        lib.add(SavedMessage("a/b", "e"))  # QA: `folder/name` names one message


def test_edit_operations_and_undo_snapshot() -> None:
    lib = _sample()
    before = lib.snapshot()
    copy = lib.duplicate("chat", "hello")
    assert copy.name == "hello (copy)"
    assert lib.messages[1] == copy
    assert lib.duplicate("chat", "hello").name == "hello (copy 2)"
    lib.rename("chat", "hello (copy)", "hi")
    lib.move("", "bytes", "empty")
    assert lib.get("empty", "bytes") is not None
    lib.remove("", "rest one")
    assert [m.name for m in lib.search("greets")] == ["hello", "hello (copy 2)", "hi"]
    assert [m.name for m in lib.search("blob")] == ["bytes"]
    lib.restore(before)
    assert [m.name for m in lib.messages] == ["hello", "bytes", "rest one"]


def test_default_path_env_override(tmp_path: Path) -> None:
    assert default_library_path({ENV_VAR: str(tmp_path / "x.json")}) == tmp_path / "x.json"
    default = default_library_path({})
    assert default.name == "library.json"
    assert "realtime-inspector" in str(default)


def test_prepare_send_json_binary_event_and_claims() -> None:
    v = Variables(seq=3, now=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), env={"U": "ann"})
    p = prepare_send("ev-{{seq}}", '{"n": "{{seq}}", "who": "{{env.U}}"}', v)
    assert p.event == "ev-3"
    assert p.payload == b'{"n":3,"who":"ann"}'
    assert p.expanded
    plain = prepare_send("ev", "", v)
    assert plain.payload == b"{}"
    assert not plain.expanded
    b = prepare_send("ev", "de ad {{seq}}", Variables(seq=12), binary=True, encoding="hex")
    assert b.binary
    assert b.payload == bytes.fromhex("dead12")
    assert b.expanded
    with pytest.raises(TemplateError) as info:
        prepare_send("ev", '{\n "a": "{{nope}}"\n}', v)
    assert info.value.line == 2
    with pytest.raises(TemplateError, match="event name"):
        prepare_send("{{nope}}", "{}", v)
    literal = prepare_send("e", '{"a": "{{seq}}"}', v, expand=False)
    assert literal.payload == b'{"a":"{{seq}}"}'
    token = jwt.sign({"sub": "u-1", "role": "authenticated"}, "secret")
    assert claims_of(token) == {"sub": "u-1", "role": "authenticated"}
    assert claims_of(None) is None
    assert claims_of("not a jwt") is None


def test_changes_on_disk_since_reading_are_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    _sample().save(path)
    lib = load_library(path)
    pulled = load_library(path)
    pulled.add(SavedMessage("from a teammate", "e"))
    pulled.save()  # e.g. a git pull while the window has the library open
    theirs = path.read_text()
    lib.add(SavedMessage("mine", "e"))
    with pytest.raises(LibraryError, match="changed on disk"):
        lib.save()
    assert path.read_text() == theirs
    fresh = load_library(path)
    fresh.add(SavedMessage("mine", "e"))
    fresh.save()
    fresh.add(SavedMessage("again", "e"))
    fresh.save()  # its own writes are not "changes on disk"
    assert load_library(path).get("", "again") is not None


@pytest.mark.parametrize(
    ("text", "encoding", "message"),
    [
        ("de ad {{seq}}", "base64", 'a space inside a line (it looks like hex: set "encoding"'),
        ("zz not hex", "base64", 'not base64 ("encoding" is "base64"): a space inside a line'),
        ("de:ad:be:e", "base64", 'it looks like hex: set "encoding": "hex"'),
        ("zz", "hex", 'not hex ("encoding": "hex"): \'z\' is not a hex digit'),
    ],
)
def test_binary_payload_errors_name_the_encoding(text: str, encoding: str, message: str) -> None:
    """QA: ``"de ad {{seq}}"`` saved as base64 said "the length is off by one character", and
    ``"zz not hex"`` was sent as the base64 ``zznothex``."""
    with pytest.raises(ValueError, match=re.escape(message)):
        prepare_send("e", text, Variables(seq=1), binary=True, encoding=encoding)
    # base64 wrapped over lines is still fine
    wrapped = prepare_send("e", "3q2+\n7w==\n", Variables(), binary=True)
    assert wrapped.payload == b"\xde\xad\xbe\xef"
