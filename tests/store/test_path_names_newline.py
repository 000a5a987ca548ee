"""A key that ends in a newline is not a JSONPath shorthand name: ``re.match`` with ``$`` accepts
``"A\\n"`` (``$`` matches before a final newline), so paths named the key ``$.A\\n`` and selected
nothing. Paths built for diffs, check near-misses and the tree quote such keys."""

from __future__ import annotations

import jsonpath

from inspector.client.checks import match
from inspector.store.messages.diff import child_path


def test_diff_paths_quote_a_key_with_a_trailing_newline() -> None:
    path = child_path("$", "A\n")
    assert path == '$["A\\n"]'
    assert jsonpath.findall(path, {"A\n": 1}) == [1]
    assert child_path("$", "A") == "$.A"


def test_check_paths_quote_a_key_with_a_trailing_newline() -> None:
    assert match._child("$", "A\n") == '$["A\\n"]'
