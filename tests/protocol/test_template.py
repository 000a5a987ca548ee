"""The variable expander: types, escapes, errors with positions, and no code execution."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.protocol.template import (
    TemplateError,
    Variables,
    expand_json,
    expand_json_text,
    expand_text,
    has_placeholders,
    placeholder_names,
)

NOW = datetime(2026, 12, 5, 2, 30, 0, 123456, tzinfo=UTC)


def variables(**kw: object) -> Variables:
    base: dict[str, object] = {
        "seq": 3,
        "now": NOW,
        "env": {"REGION": "eu", "QUOTE": 'a"b'},
        "claims": {"sub": "user-1", "role": "authenticated", "email": "a@example.com"},
        "new_uuid": lambda: "7d0c5f4e-0000-4000-8000-000000000000",
        "rng": random.Random(7),
    }
    base.update(kw)
    return Variables(**base)  # type: ignore[arg-type]


def test_a_string_that_is_one_placeholder_takes_the_value_type() -> None:
    value = expand_json('{"n": "{{seq}}", "t": "{{now_ms}}", "s": "{{ claims.sub }}"}', variables())
    assert value == {"n": 3, "t": 1796437800123, "s": "user-1"}
    assert type(value["n"]) is int


def test_inside_a_longer_string_values_are_text_and_escaped() -> None:
    value = expand_json('{"m": "#{{seq}} at {{now}} {{env.QUOTE}}"}', variables())
    assert value == {"m": '#3 at 2026-12-05T02:30:00.123Z a"b'}


def test_now_is_utc_with_milliseconds_whatever_the_zone_given() -> None:
    plus2 = NOW.astimezone(timezone(timedelta(hours=2)))
    assert expand_text("{{now}}", variables(now=plus2)) == "2026-12-05T02:30:00.123Z"


def test_placeholder_outside_strings_is_the_value_json() -> None:
    assert expand_json('{"n": {{seq}}, "who": {{claims.sub}}}', variables()) == {
        "n": 3,
        "who": "user-1",
    }


def test_object_keys_stay_text() -> None:
    assert expand_json('{"{{seq}}": true}', variables()) == {"3": True}


def test_formatting_of_the_template_is_kept() -> None:
    text = '{\n  "n": "{{seq}}",\n  "keep": [1, 2]\n}'
    assert expand_json_text(text, variables()) == '{\n  "n": 3,\n  "keep": [1, 2]\n}'


def test_four_braces_write_two() -> None:
    assert expand_json('"{{{{seq}}"', variables()) == "{{seq}}"
    assert expand_text("a{{{{b", variables()) == "a{{b"


def test_uuid_and_random_int() -> None:
    v = variables(rng=random.Random(1))
    got = [expand_json('"{{random_int:1:6}}"', v) for _ in range(200)]
    assert set(got) == {1, 2, 3, 4, 5, 6}
    assert expand_text("{{uuid}}", Variables()) != expand_text("{{uuid}}", Variables())
    assert len(expand_text("{{uuid}}", Variables())) == 36


def test_caller_values_and_their_fields() -> None:
    v = variables(values={"order_id": 42, "order": {"id": "o-1"}})
    assert expand_json('{"id": "{{order_id}}", "o": "{{order.id}}"}', v) == {"id": 42, "o": "o-1"}


def test_next_counts_on() -> None:
    v = variables(seq=1)
    assert [expand_text("{{seq}}", v := v.next()) for _ in range(3)] == ["2", "3", "4"]


@pytest.mark.parametrize(
    ("template", "message", "line", "column"),
    [
        ('{"a": "{{nope}}"}', "unknown variable 'nope'", 1, 8),
        ('{"a":\n  "{{env.UNSET}}"}', "environment variable UNSET is not set", 2, 4),
        ('{"a": "{{claims.aal}}"}', "no claim 'aal'", 1, 8),
        ('{"a": "{{seq"}', "not a variable", 1, 8),
        ('{"a": "{{random_int:9:1}}"}', "first bound is above the second", 1, 8),
        ('{"a": 1,, }', "not valid JSON", 1, 9),
        ("[1,\n 2,\n {{seq}} {{seq}}]", "not valid JSON", 3, 10),
    ],
)
def test_errors_say_what_and_where(template: str, message: str, line: int, column: int) -> None:
    with pytest.raises(TemplateError, match=message) as info:
        expand_json(template, variables())
    assert (info.value.line, info.value.column) == (line, column)


def test_an_unset_environment_variable_is_an_error_not_empty() -> None:
    with pytest.raises(TemplateError, match="not set"):
        expand_text("{{env.NOT_THERE}}", variables(env={}))


def test_claims_without_an_identity_is_an_error() -> None:
    with pytest.raises(TemplateError, match="needs an identity"):
        expand_text("{{claims.sub}}", variables(claims=None))


@pytest.mark.parametrize(
    "template",
    [
        "{{__import__('os').system('true')}}",
        "{{seq.__class__}}",
        "{{seq + 1}}",
        "{{env.HOME | upper}}",
        "{{ lambda: 1 }}",
        "{{values}}",
    ],
)
def test_nothing_is_evaluated(template: str) -> None:
    with pytest.raises(TemplateError):
        expand_text(template, variables(env={}))


def test_names_are_listed_in_order() -> None:
    assert placeholder_names('{"a": "{{seq}}", "b": "{{{{x {{ env.A }}"}') == ["seq", "", "env.A"]
    assert has_placeholders("{{seq}}")
    assert not has_placeholders('{"a": 1}')


@given(st.text())
def test_any_text_either_expands_or_raises_a_template_error(text: str) -> None:
    try:
        expand_json(text, variables())
    except TemplateError:
        pass
    try:
        out = expand_text(text, variables())
    except TemplateError:
        return
    if "{{" not in text:
        assert out == text


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_json_without_placeholders_is_unchanged(value: object) -> None:
    text = json.dumps(value)
    if "{{" in text:
        return
    assert expand_json(text, variables()) == value
