"""The load engine (issue #14): workloads, virtual users, the run, what was measured.

``realtime-inspector load`` (inspector/commands/load.py), the window's Load panel and the
Locust module drive it; docs/load.md describes the workloads and every figure.
"""

from __future__ import annotations

from .recorder import LoadRecorder, LoadStats, Snapshot
from .runner import run_load
from .vu import run_vu
from .workloads import PRESETS, ChannelGroup, ChannelSlot, Workload, channel_plan, preset

__all__ = [
    "PRESETS",
    "ChannelGroup",
    "ChannelSlot",
    "LoadRecorder",
    "LoadStats",
    "Snapshot",
    "Workload",
    "channel_plan",
    "preset",
    "run_load",
    "run_vu",
]
