"""Table filters with regular expressions, exclusion and a JSONPath payload predicate
(issue #15 item 5; the syntax is inspector/store/messages/filters.py's docstring)."""

from __future__ import annotations

import pytest

from inspector.store import Direction, MessageFilter, MessageRecord, PayloadFormat
from inspector.store.messages.filters import FilterError, parse_event_items


def rec(event: str, payload: bytes, fmt: PayloadFormat = PayloadFormat.JSON) -> MessageRecord:
    return MessageRecord(time=1.0, direction=Direction.IN, event=event, payload=payload, format=fmt)


ROWS = [
    rec("chat", b'{"text":"hello","amount":150,"user":{"name":"ann"}}'),
    rec("chat", b'{"text":"typing...","amount":5}'),
    rec("cursor-move", b'{"x":1,"y":-2}'),
    rec("presence_diff", b'{"joins":[]}'),
    rec("Heartbeat", b"not json at all"),
    rec("blob", b"\x00\x01amount", PayloadFormat.BINARY),
    rec("-dash", b'{"n":-1}'),
]


def shown(text: str = "", events: str = "", payload: str = "") -> list[int]:
    flt = MessageFilter.from_inputs(text, events, payload)
    return [i for i, r in enumerate(ROWS) if flt.matches(r)]


def test_plain_text_is_a_case_insensitive_substring_as_before() -> None:
    assert shown("HELLO") == [0]
    assert shown("chat") == [0, 1]  # the event name counts
    assert MessageFilter.from_inputs("Chat").text == "chat"


def test_regex_and_exclusion_in_the_text_filter() -> None:
    assert shown("/typ(e|ing)/") == [1]
    assert shown("/^cursor/") == [2]  # the event name is searched too
    assert shown('/"amount":\\d{3}/') == [0]
    assert shown("!typing") == [0, 2, 3, 4, 5, 6]
    assert shown("-chat") == [2, 3, 4, 5, 6]
    assert shown('-/"x":\\d/') == [0, 1, 3, 4, 5, 6]
    assert shown("/HELLO/") == [0]  # case-insensitive like plain text
    assert shown("/(?-i:HELLO)/") == []


def test_escapes_search_for_a_leading_dash_bang_or_slash() -> None:
    assert shown("\\-1") == [6]
    assert shown("\\-dash") == [6]
    assert shown("-") == list(range(len(ROWS)))  # a lone "-" while typing filters nothing


def test_invalid_regex_raises_filter_error_with_the_field() -> None:
    with pytest.raises(FilterError) as info:
        MessageFilter.from_inputs("/a(b/")
    assert info.value.field == "text"
    assert "invalid regular expression /a(b/" in str(info.value)
    with pytest.raises(FilterError) as info:
        MessageFilter.from_inputs(events="chat, /[x/")
    assert info.value.field == "events"


def test_event_filter_globs_regex_and_exclusions() -> None:
    assert shown(events="chat, cursor*") == [0, 1, 2]
    assert shown(events="-chat") == [2, 3, 4, 5, 6]
    assert shown(events="!presence*, !heartbeat") == [0, 1, 2, 5, 6]
    assert shown(events="/^c/") == [0, 1, 2]
    assert shown(events="/^c/, -cursor*") == [0, 1]
    assert shown(events="/e{1,2}a/") == [4]  # the comma belongs to the expression
    assert [i.source for i in parse_event_items("/a{1,2}/, b")] == ["/a{1,2}/", "b"]
    assert shown(events="\\-dash") == [6]
    assert shown(events="*") == list(range(len(ROWS)))


def test_payload_predicate_is_python_jsonpath_filter_syntax() -> None:
    assert shown(payload="$.amount > 100") == [0]
    assert shown(payload="@.amount < 100") == [1]
    assert shown(payload='$.user.name == "ann"') == [0]
    assert shown(payload="$.text =~ /typ.*/") == [1]
    assert shown(payload="$.x") == [2]  # a path alone: payloads that have it
    assert shown(payload="$.amount > 1 && $.text == 'hello'") == [0]
    # text that is not JSON and binary payloads never match
    assert 4 not in shown(payload="$")
    assert 5 not in shown(payload="$")
    with pytest.raises(FilterError) as info:
        MessageFilter.from_inputs(payload="$.amount >")
    assert info.value.field == "payload"
    assert "invalid JSONPath predicate" in str(info.value)


def test_payload_predicate_with_an_invalid_regex_literal_is_a_filter_error() -> None:
    # python-jsonpath compiles =~ /…/ with re at compile time and lets re.error through: it
    # escaped from_inputs and the filter box's slot raised (QA of issue #15 item 5).
    for bad in ("$.text =~ /(/", "$.a =~ /[/ && $.b", "$.a =~ /x{2,1}/"):
        with pytest.raises(FilterError) as info:
            MessageFilter.from_inputs(payload=bad)
        assert info.value.field == "payload"
        assert "invalid JSONPath predicate" in str(info.value)


def test_filters_combine_and_compare_by_what_was_typed() -> None:
    assert shown("!typing", "chat", "$.amount > 1") == [0]
    assert MessageFilter.from_inputs("/a/", "b") == MessageFilter.from_inputs("/a/", "b")
    assert MessageFilter.from_inputs("/a/") != MessageFilter.from_inputs("a")
    assert MessageFilter.from_inputs("", "", " ").is_empty
    assert not MessageFilter.from_inputs(payload="$.a").is_empty
