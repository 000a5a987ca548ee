"""The figures of a load run by name: units, labels, formatting and thresholds.

:data:`METRICS` lists every figure :meth:`LoadStats.summary` gives (docs/load.md explains
each). :func:`parse_threshold` reads ``p99<100ms``, ``lost==0``, ``delivered_rate>=1000``,
``join_success>=99.9%`` strictly; :func:`check` evaluates one against a summary. The CLI and
the window's Load panel share :func:`rows` for the final table.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["count", "ms", "rate", "percent", "bytes", "byte_rate", "seconds"]


@dataclass(frozen=True, slots=True)
class Metric:
    label: str
    kind: Kind
    help: str


METRICS: Final[dict[str, Metric]] = {
    "vus": Metric("virtual users", "count", "VUs of the run"),
    "concurrent_users": Metric("concurrent users (peak)", "count", "most websockets open at once"),
    "connections": Metric("connections", "count", "websockets opened"),
    "connection_failures": Metric("connection failures", "count", "websockets that failed"),
    "connection_success": Metric("connection success", "percent", "opened / attempted"),
    "connect_rate": Metric("new connections/s", "rate", "opened per second of the ramp"),
    "connect_p50": Metric("connect p50", "ms", "time to open a websocket"),
    "connect_p99": Metric("connect p99", "ms", "time to open a websocket"),
    "connect_max": Metric("connect max", "ms", "time to open a websocket"),
    "joins": Metric("channel joins", "count", "joins answered ok"),
    "join_failures": Metric("join failures", "count", "joins refused or timed out"),
    "join_success": Metric("join success", "percent", "joined / attempted"),
    "join_rate": Metric("joins/s", "rate", "joins per second of the ramp"),
    "join_p50": Metric("join p50", "ms", "phx_join to its ok reply"),
    "join_p99": Metric("join p99", "ms", "phx_join to its ok reply"),
    "join_max": Metric("join max", "ms", "phx_join to its ok reply"),
    "sent": Metric("messages sent", "count", "sends that succeeded"),
    "send_failures": Metric("send failures", "count", "sends refused, unacknowledged or failed"),
    "sent_rate": Metric("sent/s", "rate", "messages sent per second of sending"),
    "expected": Metric("deliveries expected", "count", "sent x receivers per channel"),
    "delivered": Metric("messages delivered", "count", "distinct deliveries to VUs"),
    "delivered_rate": Metric("delivered/s", "rate", "deliveries per second of sending"),
    "p50": Metric("latency p50", "ms", "end to end, sender's clock to receiver's clock"),
    "p95": Metric("latency p95", "ms", "end to end"),
    "p99": Metric("latency p99", "ms", "end to end"),
    "max": Metric("latency max", "ms", "end to end"),
    "mean": Metric("latency mean", "ms", "end to end"),
    "ack_p50": Metric("ack p50", "ms", "send to the server's reply (ack, or REST answer)"),
    "ack_p95": Metric("ack p95", "ms", "send to the server's reply"),
    "ack_p99": Metric("ack p99", "ms", "send to the server's reply"),
    "ack_max": Metric("ack max", "ms", "send to the server's reply"),
    "lost": Metric("lost", "count", "expected - delivered, per channel, after the drain"),
    "lost_percent": Metric("lost %", "percent", "lost / expected"),
    "duplicated": Metric("duplicated", "count", "a seq a receiver already had"),
    "out_of_order": Metric("out of order", "count", "a seq after a higher one"),
    "negative_latency": Metric("negative latencies", "count", "receiver's clock behind sender's"),
    "tx_bytes": Metric("data sent", "bytes", "payload bytes of the messages sent"),
    "rx_bytes": Metric("data received", "bytes", "websocket message bytes delivered"),
    "tx_rate": Metric("data sent/s", "byte_rate", "payload bytes per second of sending"),
    "rx_rate": Metric("data received/s", "byte_rate", "message bytes per second of sending"),
    "errors": Metric("errors", "count", "every failure, by reason in the report"),
    "duration": Metric("sending time", "seconds", "seconds of the sending phase"),
}

#: Units a threshold may carry, by metric kind; a bare number is in the first one.
_UNITS: Final[dict[str, dict[str, float]]] = {
    "ms": {"ms": 1.0, "": 1.0, "us": 0.001, "µs": 0.001, "s": 1000.0},
    "seconds": {"s": 1.0, "": 1.0, "ms": 0.001},
    "percent": {"%": 1.0, "": 1.0},
    "rate": {"/s": 1.0, "": 1.0},
    "count": {"": 1.0},
    "bytes": {"": 1.0, "b": 1.0, "kb": 1e3, "mb": 1e6, "gb": 1e9},
    "byte_rate": {"": 1.0, "b/s": 1.0, "kb/s": 1e3, "mb/s": 1e6, "gb/s": 1e9},
}

_KIND_WORDS: Final[dict[str, str]] = {
    "ms": "a time in milliseconds",
    "seconds": "a time in seconds",
    "percent": "a percentage",
    "rate": "a rate per second",
    "count": "a count",
    "bytes": "a size in bytes",
    "byte_rate": "bytes per second",
}

_OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}

_EXPR: Final = re.compile(
    r"\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<number>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>[A-Za-zµ%/]*)\s*"
)


class ThresholdError(ValueError):
    """A threshold that cannot be read; the message says why and lists the metric names."""


@dataclass(frozen=True, slots=True)
class Threshold:
    text: str
    metric: str
    op: str
    #: The bound in the metric's own unit (ms, %, per second, bytes).
    value: float


@dataclass(frozen=True, slots=True)
class Verdict:
    threshold: Threshold
    actual: float | int | None
    passed: bool
    message: str


def metric_names() -> str:
    return ", ".join(METRICS)


def parse_threshold(text: str) -> Threshold:
    """``METRIC OP NUMBER[UNIT]`` (``p99<100ms``, ``lost==0``); :class:`ThresholdError`."""
    m = _EXPR.fullmatch(text)
    if m is None:
        raise ThresholdError(
            f"cannot read threshold {text!r}: write METRIC OP NUMBER[UNIT] with OP one of "
            f"< <= > >= == != (e.g. p99<100ms, lost==0, delivered_rate>=1000); "
            f"metrics: {metric_names()}"
        )
    name, op, number, unit = m["metric"], m["op"], float(m["number"]), m["unit"]
    metric = METRICS.get(name)
    if metric is None:
        raise ThresholdError(f"unknown metric {name!r} in {text!r}; metrics: {metric_names()}")
    units = _UNITS[metric.kind]
    factor = units.get(unit.lower() if metric.kind in ("bytes", "byte_rate") else unit)
    if factor is None:
        allowed = ", ".join(repr(u) for u in units if u) or "none"
        raise ThresholdError(
            f"{name} is {_KIND_WORDS[metric.kind]}: unit {unit!r} does not fit in {text!r} "
            f"(units: {allowed})"
        )
    if not math.isfinite(number):
        raise ThresholdError(f"the bound in {text!r} must be a finite number")
    return Threshold(text.strip(), name, op, number * factor)


def check(threshold: Threshold, summary: Mapping[str, float | int | None]) -> Verdict:
    """Whether ``summary`` meets ``threshold``; a figure that was not measured fails."""
    actual = summary.get(threshold.metric)
    if actual is None:
        return Verdict(
            threshold, None, False, f"{threshold.text}: {threshold.metric} was not measured"
        )
    passed = _OPS[threshold.op](float(actual), threshold.value)
    shown = format_value(threshold.metric, actual)
    word = "ok" if passed else "FAILED"
    return Verdict(
        threshold, actual, passed, f"{threshold.text}: {word} ({threshold.metric} = {shown})"
    )


def format_value(name: str, value: float | int | None) -> str:
    if value is None:
        return "-"
    kind = METRICS[name].kind if name in METRICS else "count"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "ms":
        return f"{value:,.2f} ms" if value < 100 else f"{value:,.0f} ms"
    if kind == "percent":
        return f"{value:.2f} %"
    if kind == "rate":
        return f"{value:,.1f}/s"
    if kind == "seconds":
        return f"{value:,.1f} s"
    scaled = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(scaled) < 1000 or unit == "GB":
            break
        scaled /= 1000
    suffix = "/s" if kind == "byte_rate" else ""
    return f"{scaled:,.1f} {unit}{suffix}"


#: The final table: (section, metric names).
TABLE: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (
        "connections",
        (
            "concurrent_users",
            "connections",
            "connection_success",
            "connect_rate",
            "connect_p50",
            "connect_p99",
        ),
    ),
    ("joins", ("joins", "join_success", "join_rate", "join_p50", "join_p99")),
    ("messages", ("sent", "sent_rate", "delivered", "delivered_rate", "expected")),
    ("latency", ("p50", "p95", "p99", "max")),
    ("acks", ("ack_p50", "ack_p95", "ack_p99", "ack_max")),
    ("integrity", ("lost", "duplicated", "out_of_order")),
    ("data", ("tx_rate", "rx_rate")),
    ("errors", ("errors",)),
)


def rows(summary: Mapping[str, float | int | None]) -> list[tuple[str, str, str]]:
    """``(section, label, value)`` rows of the final table; sections without values skipped."""
    out = []
    for section, names in TABLE:
        if all(summary.get(n) is None for n in names):
            continue
        for name in names:
            out.append((section, METRICS[name].label, format_value(name, summary.get(name))))
    return out
