"""A pytest plugin that fails a test on noise the test did not ask for.

tests/conftest.py loads it for the whole suite (the meta-tests of tests/test_noise_guards.py load
it into inner pytest runs with ``-p noise_guards``). In every phase of every test (setup, call,
teardown) it collects:

- ERROR (or higher) log records, from any logger that propagates to the root logger. A test that
  provokes one on purpose declares it, with the marker
  ``@pytest.mark.expect_log_errors(r"regex", ..., logger="name", optional=False)`` or the
  fixture ``expect_log_errors(r"regex", logger=None, optional=False)`` (which returns an
  :class:`Expected` whose ``records`` the test may inspect). The regex is searched in the record's
  message; ``logger`` restricts it to that logger and its children. A declared error that never
  shows up fails the test too, unless ``optional=True`` (for errors a race may or may not cause).
- Exceptions that reach an asyncio loop's exception handler: a task whose exception nobody
  retrieved ("Task exception was never retrieved"), an exception in a ``call_soon`` callback, a
  failure during loop shutdown. Every loop made by the event loop policy (pytest-asyncio's loops
  and ``asyncio.run``) gets the handler; other loops (the qasync loop of tests/ui) are passed to
  :func:`guard_loop` by whoever builds them. A finished task nobody references may only be freed,
  and so reported, by the garbage collector: after each test that left such a task behind, the
  teardown runs ``gc.collect()`` so that the report lands on the test that caused it.
- Qt warnings during teardown. pytest-qt's ``qt_log_level_fail`` (pyproject.toml) fails a test
  on a Qt message in setup and call, but stops listening before teardown; this plugin listens
  through teardown with the same level, ignore list and markers.

A phase that passed but made noise fails (a noisy teardown is reported as an error); a phase that
failed anyway shows the noise in a report section. Noise that arrives outside any test (a late
garbage collection) fails the next phase, naming the test whose loop it came from.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import traceback
import weakref
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import pytest

MARKER = "expect_log_errors"

_ACTIVE: NoiseGuards | None = None


def guard_loop(loop: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop:
    """Install the failing exception handler on ``loop`` (a loop not made by the policy)."""
    if _ACTIVE is not None:
        _ACTIVE.guard(loop)
    return loop


@dataclass
class Expected:
    """An ERROR log record a test provokes on purpose."""

    pattern: str
    logger: str | None = None
    optional: bool = False
    records: list[logging.LogRecord] = field(default_factory=list)

    def matches(self, record: logging.LogRecord) -> bool:
        if self.logger is not None and not (
            record.name == self.logger or record.name.startswith(self.logger + ".")
        ):
            return False
        return re.search(self.pattern, _message(record)) is not None

    def describe(self) -> str:
        where = f" from logger {self.logger!r}" if self.logger else ""
        return f"{self.pattern!r}{where}"


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string must not hide the record
        return f"{record.msg!r} % {record.args!r}"


def _describe_record(record: logging.LogRecord) -> str:
    text = f"{record.levelname} {record.name}: {_message(record)}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
    elif record.exc_text:
        text += "\n" + record.exc_text.rstrip()
    return text


def _describe_loop_context(context: dict[str, Any], origin: str) -> str:
    lines = [f"asyncio: {context.get('message') or 'Unhandled exception in event loop'}"]
    if origin:
        lines.append(f"  (on the loop of {origin})")
    for key in sorted(k for k in context if k not in {"message", "exception"}):
        lines.append(f"  {key}: {context[key]!r}")
    exc = context.get("exception")
    if isinstance(exc, BaseException):
        lines.append("".join(traceback.format_exception(exc)).rstrip())
    return "\n".join(lines)


class _ErrorRecords(logging.Handler):
    def __init__(self, guards: NoiseGuards) -> None:
        super().__init__(level=logging.ERROR)
        self.guards = guards

    def emit(self, record: logging.LogRecord) -> None:
        self.guards.on_record(record)


class _GuardedPolicy(asyncio.DefaultEventLoopPolicy):
    """The default policy, with the guard on every loop it makes."""

    def __init__(self, guards: NoiseGuards) -> None:
        super().__init__()
        self._guards = guards

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        self._guards.guard(loop)
        return loop


_QT_FAIL_TYPES = {
    # qt_log_level_fail value -> the QtMsgType names that fail (pytest-qt's semantics)
    "NO": (),
    "CRITICAL": ("QtCriticalMsg", "QtFatalMsg"),
    "WARNING": ("QtWarningMsg", "QtCriticalMsg", "QtFatalMsg"),
    "INFO": ("QtInfoMsg", "QtWarningMsg", "QtCriticalMsg", "QtFatalMsg"),
    "DEBUG": ("QtDebugMsg", "QtInfoMsg", "QtWarningMsg", "QtCriticalMsg", "QtFatalMsg"),
}


class NoiseGuards:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.handler = _ErrorRecords(self)
        self.item: pytest.Item | None = None
        self.expected: list[Expected] = []
        self.records: list[logging.LogRecord] = []
        self.problems: list[str] = []
        self.stray: list[str] = []
        self.loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, str] = (
            weakref.WeakKeyDictionary()
        )
        self._previous_policy: asyncio.AbstractEventLoopPolicy | None = None
        self.call_passed = False
        self.qt: _QtTeardownCapture | None = None

    # ------------------------------------------------------------------ session

    def start(self) -> None:
        self._previous_policy = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(_GuardedPolicy(self))

    def stop(self) -> None:
        if self._previous_policy is not None:
            asyncio.set_event_loop_policy(self._previous_policy)

    # ------------------------------------------------------------------ sources of noise

    def on_record(self, record: logging.LogRecord) -> None:
        if self.item is None:
            self.stray.append("log record outside a test: " + _describe_record(record))
            return
        for expected in self.expected:
            if expected.matches(record):
                expected.records.append(record)
                return
        self.records.append(record)

    def guard(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loops[loop] = self.item.nodeid if self.item is not None else ""
        loop.set_exception_handler(self._loop_exception)

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        origin = self.loops.get(loop, "")
        current = self.item.nodeid if self.item is not None else None
        text = _describe_loop_context(context, origin if origin != current else "")
        if self.item is None:
            self.stray.append("unhandled exception outside a test: " + text)
        else:
            self.problems.append(text)

    # ------------------------------------------------------------------ expectations

    def expect(self, pattern: str, logger: str | None = None, optional: bool = False) -> Expected:
        expected = Expected(pattern, logger, optional)
        self.expected.append(expected)
        return expected

    # ------------------------------------------------------------------ phases

    def begin(self, item: pytest.Item, when: str) -> None:
        if when == "setup":
            self.call_passed = False
            self.expected = [
                Expected(pattern, mark.kwargs.get("logger"), mark.kwargs.get("optional", False))
                for mark in item.iter_markers(MARKER)
                for pattern in mark.args
            ]
        self.records, self.problems = [], [f"(before this phase) {text}" for text in self.stray]
        self.stray = []
        self.item = item
        logging.getLogger().addHandler(self.handler)
        if when == "teardown":
            self.qt = _QtTeardownCapture.start(item)

    def end(self, item: pytest.Item, when: str) -> list[str]:
        """The noise of the phase that just ended, as texts."""
        try:
            if when == "teardown":
                if _unretrieved_task_exceptions(item, self):
                    gc.collect()  # frees (and so reports) task exceptions caught in cycles
                if self.qt is not None:
                    self.problems.extend(self.qt.stop())
                    self.qt = None
                if self.call_passed:  # not when the test failed or skipped anyway
                    self.problems.extend(
                        f"expected an ERROR log record matching {e.describe()}, none came"
                        for e in self.expected
                        if not e.optional and not e.records
                    )
        finally:
            logging.getLogger().removeHandler(self.handler)
            self.item = None
        noise = [_describe_record(r) for r in self.records] + self.problems
        self.records, self.problems = [], []
        if when == "teardown":
            self.expected = []
        return noise

    # ------------------------------------------------------------------ hooks

    def _phase(self, item: pytest.Item, when: str) -> Generator[None, Any, Any]:
        self.begin(item, when)
        try:
            result = yield
        except BaseException:
            noise = self.end(item, when)
            if noise:
                item.add_report_section(when, "noise", "\n\n".join(noise))
            raise
        noise = self.end(item, when)
        if noise:
            pytest.fail(
                f"{len(noise)} unexpected error(s) during {when} (see tests/noise_guards.py; "
                "declare an ERROR log record the test provokes with expect_log_errors):\n\n"
                + "\n\n".join(noise),
                pytrace=False,
            )
        return result

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from self._phase(item, "setup"))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from self._phase(item, "call"))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from self._phase(item, "teardown"))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.call_passed = report.passed

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.stray:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.section("noise after the last test", sep="=", red=True)
                for text in self.stray:
                    reporter.line(text)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _unretrieved_task_exceptions(item: pytest.Item, guards: NoiseGuards) -> bool:
    """Whether a finished task holds an exception nobody retrieved (it is reported when freed)."""
    all_tasks = getattr(asyncio.tasks, "_all_tasks", None)  # CPython 3.11: a WeakSet
    if all_tasks is None:
        return any(origin == item.nodeid for origin in guards.loops.values())
    return any(
        task.done() and not task.cancelled() and getattr(task, "_log_traceback", False)
        for task in list(all_tasks)
    )


class _QtTeardownCapture:
    """Qt messages during teardown, judged as pytest-qt judges them in setup and call."""

    def __init__(self, qt_core: Any, fail_types: tuple[str, ...], ignore: list[str]) -> None:
        self.qt_core = qt_core
        self.fail_types = fail_types
        self.ignore = ignore
        self.messages: list[str] = []
        self.previous = qt_core.qInstallMessageHandler(self._handle)

    @classmethod
    def start(cls, item: pytest.Item) -> _QtTeardownCapture | None:
        config = item.config
        if not config.pluginmanager.has_plugin("_qt_logging") or item.get_closest_marker(
            "no_qt_log"
        ):
            return None
        from pytestqt.qt_compat import qt_api

        level_mark = item.get_closest_marker("qt_log_level_fail")
        level = level_mark.args[0] if level_mark else config.getini("qt_log_level_fail")
        ignore = list(config.getini("qt_log_ignore"))
        ignore_mark = item.get_closest_marker("qt_log_ignore")
        if ignore_mark:
            extend = ignore_mark.kwargs.get("extend", True)
            ignore = [*ignore, *ignore_mark.args] if extend else list(ignore_mark.args)
        fail_types = _QT_FAIL_TYPES[level]
        return cls(qt_api.QtCore, fail_types, ignore) if fail_types else None

    def _handle(self, msg_type: Any, context: Any, message: str) -> None:
        name = getattr(msg_type, "name", str(msg_type))
        if name in self.fail_types and not any(re.search(r, message) for r in self.ignore):
            self.messages.append(f"Qt {name} during teardown: {message}")

    def stop(self) -> list[str]:
        self.qt_core.qInstallMessageHandler(self.previous)
        return self.messages


# ---------------------------------------------------------------------- plugin entry points


def pytest_configure(config: pytest.Config) -> None:
    global _ACTIVE
    config.addinivalue_line(
        "markers",
        f"{MARKER}(pattern, ..., logger=None, optional=False): the test provokes ERROR log "
        "records matching these regexes on purpose (tests/noise_guards.py)",
    )
    guards = NoiseGuards(config)
    guards.start()
    config.pluginmanager.register(guards, "noise_guards_instance")
    _ACTIVE = guards


def pytest_unconfigure(config: pytest.Config) -> None:
    global _ACTIVE
    guards = config.pluginmanager.get_plugin("noise_guards_instance")
    if isinstance(guards, NoiseGuards):
        guards.stop()
        config.pluginmanager.unregister(guards)
    _ACTIVE = None


@pytest.fixture
def expect_log_errors() -> Callable[..., Expected]:
    """``expect_log_errors(r"regex", logger=None, optional=False)``: the test provokes ERROR
    log records matching the regex on purpose; returns an :class:`Expected` (``.records``)."""
    assert _ACTIVE is not None, "the noise_guards plugin is not active"
    return _ACTIVE.expect
