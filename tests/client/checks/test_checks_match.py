"""Payload matching of checks: the JSON subset rules and JSONPath predicates."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.client.checks.match import (
    Difference,
    capture_value,
    describe,
    differences,
    glob_matches,
    where_failures,
)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ({"id": 1}, {"id": 1, "extra": True}),
        ({"a": {"b": [1, {"c": "x"}]}}, {"a": {"b": [1, {"c": "x", "d": 2}], "e": 0}}),
        (1, 1.0),
        ({}, {"anything": 1}),
        ([], []),
        (None, None),
    ],
)
def test_subsets_that_match(expected: Any, actual: Any) -> None:
    assert differences(expected, actual) == []


@pytest.mark.parametrize(
    ("expected", "actual", "paths"),
    [
        ({"id": "a"}, {"id": "b"}, ["$.id"]),
        ({"id": 1}, {}, ["$.id"]),
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 2}}, ["$.a.b", "$.a.c"]),
        ({"items": [{"qty": 1}]}, {"items": [{"qty": 2}]}, ["$.items[0].qty"]),
        ({"items": [1]}, {"items": [1, 2]}, ["$.items"]),  # arrays: same length
        ({"flag": True}, {"flag": 1}, ["$.flag"]),  # true is not 1
        ({"n": "1"}, {"n": 1}, ["$.n"]),
        ({"odd key": 1}, {"odd key": 2}, ['$["odd key"]']),
        ({"a": 1}, [1], ["$"]),
    ],
)
def test_differences_name_the_paths(expected: Any, actual: Any, paths: list[str]) -> None:
    assert [d.path for d in differences(expected, actual)] == paths


def test_a_missing_key_says_so() -> None:
    (diff,) = differences({"id": "a"}, {"other": 1})
    assert diff.missing
    assert diff.text() == '$.id: missing (expected "a")'
    assert describe(
        [diff, Difference("$.x", 1, 2), Difference("$.y", 1, 2), Difference("$.z", 1, 2)]
    ) == ('$.id: missing (expected "a"); $.x: expected 1, got 2; $.y: expected 1, got 2; 1 more')


def test_where_predicates_must_select_something() -> None:
    payload = {"items": [{"sku": "tea", "qty": 2}, {"sku": "cake", "qty": 1}], "id": "o-1"}
    assert where_failures(["$.items[?@.qty > 1]", "$.id", "$[?@ == 'o-1']"], payload) == []
    (fail,) = where_failures(["$.items[?@.qty > 5]"], payload)
    assert fail.path == "$.items[?@.qty > 5]"
    assert fail.actual == "none"
    (bad,) = where_failures(["$.[["], payload)
    assert bad.expected == "a valid JSONPath"


def test_capture_takes_the_first_match() -> None:
    assert capture_value("$.items[*].sku", {"items": [{"sku": "a"}, {"sku": "b"}]}) == (True, "a")
    assert capture_value("$.nope", {"a": 1}) == (False, None)


def test_event_globs_are_the_event_filter_syntax() -> None:
    assert glob_matches("order.confirmed", "order.*")
    assert glob_matches("ORDER.created", "order.created")
    assert not glob_matches("order", "order.*")
    assert glob_matches("Unauthorized: no", "*unauthorized*")
