"""The repeat engine's pure parts (issue #11 §3): the pacer's absolute deadlines, the plan's
checks, and per-message templates. No clock is read; times are passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inspector.client.repeat import Pacer, RepeatMessage, RepeatPlan, TemplateMessages
from inspector.protocol.template import TemplateError, Variables


def test_deadlines_are_absolute_so_the_rate_does_not_drift() -> None:
    p = Pacer(1000.0, start=100.0)
    assert p.deadline(1) == 100.0
    assert p.deadline(1001) == pytest.approx(101.0)
    # due counts depend only on the time since the start, not on when we woke up before
    assert p.due(99.0) == 0
    assert p.due(100.0) == 1
    assert p.due(100.0005) == 1
    assert p.due(100.001) == 2
    assert p.due(101.0) == 1001
    # a late wakeup catches up: after 2.5 s, 2,501 messages are due in all
    assert p.due(102.5) == 2501


def test_due_at_each_deadline_counts_that_message_for_awkward_rates() -> None:
    for rate in (3.0, 7.0, 20_000.0, 0.3):
        p = Pacer(rate, start=12345.678)
        for n in (1, 2, 3, 10, 1000):
            assert p.due(p.deadline(n)) == n, (rate, n)


def test_no_rate_means_no_limit() -> None:
    p = Pacer(None, start=5.0)
    assert p.due(5.0) is None
    assert p.deadline(99) == 5.0


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({}, "needs a count or a duration"),
        ({"count": 0}, "at least 1"),
        ({"count": 1, "rate": 0.0}, "rate must be"),
        ({"count": 1, "rate": float("nan")}, "rate must be"),
        ({"duration": float("inf")}, "duration must be"),
        ({"count": 1, "in_flight": 0}, "in flight"),
    ],
)
def test_plan_checks(kw: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RepeatPlan("room", **kw)  # type: ignore[arg-type]


def test_template_messages_expand_seq_and_now_per_message() -> None:
    t0 = datetime(2026, 12, 5, 2, 30, tzinfo=UTC)
    times = iter([t0, t0 + timedelta(milliseconds=1), t0 + timedelta(milliseconds=2)])
    make = TemplateMessages(
        "tick-{{seq}}", '{"seq": "{{seq}}", "at": "{{now}}"}', clock=lambda: next(times)
    )
    assert make.first == RepeatMessage("tick-1", {"seq": 1, "at": "2026-12-05T02:30:00.000Z"})
    assert make(2) == RepeatMessage("tick-2", {"seq": 2, "at": "2026-12-05T02:30:00.001Z"})
    assert make(3).payload["seq"] == 3


def test_template_without_placeholders_and_binary_are_built_once() -> None:
    make = TemplateMessages("e", '{"a": 1}')
    assert make(1) is make(2)
    raw = TemplateMessages("e", b"{{seq}}\x00")
    assert raw(7) == RepeatMessage("e", b"{{seq}}\x00", binary=True)


def test_bad_templates_fail_before_the_first_send() -> None:
    with pytest.raises(TemplateError, match="line 1, column 7"):
        TemplateMessages("e", '{"n": {{nope}}}')
    with pytest.raises(TemplateError, match="SECRET_X"):
        TemplateMessages("e", '"{{env.SECRET_X}}"', Variables(env={}))
