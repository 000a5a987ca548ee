"""Presence reconciliation and realtime-js's hold-back of early diffs (§8.3, §8.4)."""

from __future__ import annotations

from typing import Any

from inspector.protocol.presence import Presence, js_view


def metas(*refs: str, **extra: Any) -> dict[str, Any]:
    return {"metas": [{"phx_ref": r, **extra} for r in refs]}


def test_state_then_diff_join_update_and_leave() -> None:
    p = Presence()
    [change] = p.apply_state({"a": metas("1", online=True)}, "5")
    assert change.joins == {"a": ({"phx_ref": "1", "online": True},)}
    assert change.leaves == {}
    # An update is a join of the new meta plus a leave of the old one (§8.3).
    update = {
        "joins": {"a": {"metas": [{"phx_ref": "2", "phx_ref_prev": "1", "online": False}]}},
        "leaves": {"a": metas("1", online=True)},
    }
    change = p.apply_diff(update, "5")
    assert change is not None
    assert p.state == {"a": [{"phx_ref": "2", "phx_ref_prev": "1", "online": False}]}
    assert list(change.leaves) == ["a"]
    change = p.apply_diff({"joins": {}, "leaves": {"a": metas("2")}}, "5")
    assert change is not None
    assert p.state == {}


def test_several_metas_per_key_are_kept_in_order() -> None:
    p = Presence()
    p.apply_state({"u": metas("1")}, "1")
    p.apply_diff({"joins": {"u": metas("2")}, "leaves": {}}, "1")
    assert [m["phx_ref"] for m in p.state["u"]] == ["1", "2"]
    p.apply_diff({"joins": {}, "leaves": {"u": metas("1")}}, "1")
    assert [m["phx_ref"] for m in p.state["u"]] == ["2"]


def test_diffs_before_the_state_are_held_back_then_applied() -> None:
    p = Presence()
    assert p.apply_diff({"joins": {"b": metas("9")}, "leaves": {}}, "3") is None
    assert p.state == {}
    changes = p.apply_state({"a": metas("1")}, "3")
    assert len(changes) == 2  # the state, then the held-back diff
    assert set(p.state) == {"a", "b"}
    assert changes[1].joins == {"b": ({"phx_ref": "9"},)}


def test_a_new_state_reports_what_changed_against_the_old_one() -> None:
    p = Presence()
    p.apply_state({"a": metas("1"), "b": metas("2")}, "1")
    # Rejoined (join_ref 7): diffs wait for the new state again.
    assert p.in_pending_sync("7")
    assert p.apply_diff({"joins": {"c": metas("5")}, "leaves": {}}, "7") is None
    changes = p.apply_state({"a": metas("1", x=1), "b": metas("3")}, "7")
    first = changes[0]
    assert first.joins == {"b": ({"phx_ref": "3"},)}
    assert first.leaves == {"b": ({"phx_ref": "2"},)}
    assert set(p.state) == {"a", "b", "c"}
    assert p.state["b"] == [{"phx_ref": "3"}]


def test_leave_of_an_unknown_key_is_harmless() -> None:
    p = Presence()
    p.apply_state({}, "1")
    change = p.apply_diff({"joins": {}, "leaves": {"ghost": metas("1")}}, "1")
    assert change is not None
    assert p.state == {}


def test_malformed_input_is_counted_not_raised() -> None:
    p = Presence()
    p.apply_state({"a": {"metas": "nope"}, "b": 3, "c": {"metas": [1, {"phx_ref": "x"}]}}, "1")
    assert p.state == {"c": [{"phx_ref": "x"}]}
    assert p.malformed == 3
    assert p.apply_diff("garbage", "1") is not None
    p.apply_state(["not", "a", "map"], "1")
    assert p.state == {}
    assert p.malformed == 5


def test_js_view_renames_phx_ref_and_drops_prev() -> None:
    state = {"a": ({"phx_ref": "2", "phx_ref_prev": "1", "online": True},)}
    assert js_view(state) == {"a": [{"online": True, "presence_ref": "2"}]}
