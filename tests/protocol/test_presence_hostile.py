"""Presence payloads of any shape from a hostile server never raise out of the session; what
is malformed is skipped and reported as a rejected frame (issue #10 item 10, §8)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from session_driver import TOPIC, Driver, of

from inspector.protocol.events import PresenceChanged
from inspector.protocol.frames import FrameRejected

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
refs = st.sampled_from(["r1", "r2", "r3"]) | json_values
metas = (
    st.dictionaries(
        st.sampled_from(["phx_ref", "phx_ref_prev", "name", "online_at"]), refs, max_size=4
    )
    | json_values
)
entries = st.fixed_dictionaries({"metas": st.lists(metas, max_size=3)}) | json_values
presence_maps = (
    st.dictionaries(st.sampled_from(["alice", "bob", ""]), entries, max_size=3) | json_values
)
diffs = st.fixed_dictionaries({"joins": presence_maps, "leaves": presence_maps}) | json_values


def joined_with_presence() -> tuple[Driver, str]:
    d = Driver()
    d.open()
    join_ref = d.join(presence_enabled=True, presence_key="me")
    return d, join_ref


def test_list_and_dict_phx_ref_in_a_diff_become_rejected_frames() -> None:
    d, jr = joined_with_presence()
    d.feed(jr, None, TOPIC, "presence_state", {"alice": {"metas": [{"phx_ref": "r1"}]}})
    events = d.feed(
        jr,
        None,
        TOPIC,
        "presence_diff",
        {
            "joins": {"alice": {"metas": [{"phx_ref": ["x"]}, {"phx_ref": "r2"}]}},
            "leaves": {"alice": {"metas": [{"phx_ref": {"a": 1}}]}},
        },
    )
    [rejected] = of(events, FrameRejected)
    assert "phx_ref must be a string, got a list" in rejected.reason
    assert "presence_diff" in rejected.reason
    [change] = of(events, PresenceChanged)
    assert [m["phx_ref"] for m in change.state["alice"]] == ["r1", "r2"]


def test_list_phx_ref_prev_is_rejected_too() -> None:
    d, jr = joined_with_presence()
    events = d.feed(
        jr,
        None,
        TOPIC,
        "presence_state",
        {"bob": {"metas": [{"phx_ref": "r1", "phx_ref_prev": []}]}},
    )
    [rejected] = of(events, FrameRejected)
    assert "phx_ref_prev" in rejected.reason
    assert of(events, PresenceChanged)[0].state == {}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), presence_maps, diffs), min_size=1, max_size=5))
def test_presence_of_any_shape_never_raises(steps: list[tuple[bool, Any, Any]]) -> None:
    d, jr = joined_with_presence()
    for is_state, state, diff in steps:
        if is_state:
            events = d.feed(jr, None, TOPIC, "presence_state", state)
        else:
            events = d.feed(jr, None, TOPIC, "presence_diff", diff)
        for change in of(events, PresenceChanged):
            for metas in change.state.values():
                for meta in metas:
                    assert meta.get("phx_ref") is None or isinstance(meta["phx_ref"], str)


events = st.sampled_from(
    [
        "phx_reply",
        "phx_close",
        "phx_error",
        "broadcast",
        "presence_state",
        "presence_diff",
        "system",
    ]
)
join_refs = st.sampled_from(["current", "stale"]) | st.none()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            join_refs,
            st.none() | st.sampled_from(["1", "2", "3", "4"]) | st.text(max_size=3),
            events,
            json_values,
        ),
        max_size=6,
    )
)
def test_a_joined_channel_takes_any_payload_without_raising(
    frames: list[tuple[str | None, str | None, str, Any]],
) -> None:
    """Beyond presence: every server event a joined channel (with presence and acks) routes,
    with payloads of any shape, never raises out of ``receive``."""
    d = Driver()
    d.open()
    jr = d.join(presence_enabled=True, broadcast_ack=True)
    d.s.push_broadcast(TOPIC, "e", {"a": 1}, d.now)
    for join_ref, ref, event, payload in frames:
        actual = jr if join_ref == "current" else join_ref
        d.feed(actual, ref, TOPIC, event, payload)
        d.advance_to(d.now + 1.0)
