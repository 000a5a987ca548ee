"""Checks: a declarative Realtime test in a YAML file, run on the client (no Qt).

``load_file``/``load_files``/``load_text`` read and validate files (docs/checks.md, schema
docs/checks.schema.json) into :class:`Check` objects; :func:`run_check` or :class:`CheckRun`
run one (events, cancel, results: see :mod:`.runner`). ``realtime-inspector check`` (CLI) and
the window's Checks panel are built on these names.
"""

from .loader import LoadError, Problem, load_file, load_files, load_text, parse_duration, schema
from .match import Difference
from .model import (
    DEFAULT_IDENTITY,
    Check,
    CheckFile,
    Connect,
    Expect,
    ExpectNone,
    ExpectPresence,
    Identity,
    Join,
    Leave,
    Send,
    Step,
    Track,
    Untrack,
    Wait,
)
from .runner import (
    CheckFinished,
    CheckResult,
    CheckRun,
    CheckStarted,
    CheckStatus,
    ClientFactory,
    MessageRecorded,
    NearMiss,
    ReceivedMessage,
    RunEvent,
    StepFinished,
    StepResult,
    StepStarted,
    StepStatus,
    run_check,
)

__all__ = [
    "DEFAULT_IDENTITY",
    "Check",
    "CheckFile",
    "CheckFinished",
    "CheckResult",
    "CheckRun",
    "CheckStarted",
    "CheckStatus",
    "ClientFactory",
    "Connect",
    "Difference",
    "Expect",
    "ExpectNone",
    "ExpectPresence",
    "Identity",
    "Join",
    "Leave",
    "LoadError",
    "MessageRecorded",
    "NearMiss",
    "Problem",
    "ReceivedMessage",
    "RunEvent",
    "Send",
    "Step",
    "StepFinished",
    "StepResult",
    "StepStarted",
    "StepStatus",
    "Track",
    "Untrack",
    "Wait",
    "load_file",
    "load_files",
    "load_text",
    "parse_duration",
    "run_check",
    "schema",
]
