"""Hidden characters (bidi controls, zero-width, tags, lone surrogates) become \\uXXXX (QA 7)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.invisible import has_hidden, reveal, reveal_count


def test_the_spoofed_file_name_and_zero_width_space() -> None:
    assert reveal("evil\u202egnp.exe") == "evil\\u202egnp.exe"
    assert reveal("a\u200bb") == "a\\u200bb"
    assert reveal_count("\u2066x\u2069\u200e\u061c\ufeff") == (
        "\\u2066x\\u2069\\u200e\\u061c\\ufeff",
        5,
    )


def test_astral_tags_and_lone_surrogates() -> None:
    # A tag character is written as JSON writes it, a surrogate pair.
    assert reveal("x\U000e0041") == "x\\udb40\\udc41"
    assert reveal("\ud800") == "\\ud800"
    assert json.loads('"' + reveal("x\U000e0041") + '"') == "x\U000e0041"


def test_line_breaks_are_kept_in_views_and_escaped_in_cells() -> None:
    assert reveal("a\n\tb\r\n") == "a\n\tb\r\n"
    assert reveal("a\n\tb", multiline=False) == "a\\u000a\\u0009b"
    assert reveal("\x00\x1b\x7f\x85") == "\\u0000\\u001b\\u007f\\u0085"
    assert reveal("a\u2028b") == "a\\u2028b"  # Qt would break the line there


def test_ordinary_text_is_left_alone() -> None:
    for text in ("héllo wörld", "日本語", "مرحبا", "שלום", "🎉 ok", "a b\u00a0c", "x\ufe0f"):
        assert reveal(text) == text
        assert not has_hidden(text)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), st.text() | st.integers(), max_size=4))
def test_json_revealed_is_the_same_json(value: dict[str, object]) -> None:
    """Revealing escapes inside strings only: the JSON view means the same value."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    shown = reveal(text)
    assert json.loads(shown) == value
    assert not has_hidden(shown)


def test_printable_keeps_a_log_line_one_line_and_escape_free() -> None:
    from inspector.protocol.invisible import printable

    hostile = "room\x1b[2J\x1b]0;pwned\x07\nINFO forged line\u202eevil\u200b"
    line = printable(hostile)
    for hidden in ("\x1b", "\n", "\x07", "\u202e", "\u200b"):
        assert hidden not in line
    assert line.startswith("room\\u001b[2J\\u001b]0;pwned\\u0007\\u000aINFO forged line\\u202e")
    assert printable("x" * 500, limit=10) == "x" * 10 + "…"
    assert printable(None) == "None"
    assert printable("plain-room:1") == "plain-room:1"
