"""A pytest plugin: in CI, a test that did not run is a failure, not a quiet letter in the summary.

tests/conftest.py loads it for the whole suite. When the environment variable ``CI`` is set
(``1``, ``true`` or ``yes``; ``.ci/run`` exports ``CI=true``), every skipped test, expected
failure (xfail) and deselected test (``-m``, ``-k``, ``--deselect``) is listed in a section at
the end of the run and the session fails: a missing tool, a lost subcommand or a narrowed run
cannot turn a CI run green. Locally nothing changes (``RI_SKIP_PACKAGING=1`` or ``-m "not
packaging"`` still leave the slow packaging tests out).

Tests that would skip for a missing tool call :func:`skip_or_fail`: a skip locally, a failure
naming the tool in CI.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

CI_ENV = "CI"


def in_ci() -> bool:
    """Whether this run is CI (``CI`` is ``1``, ``true`` or ``yes``, as CI services set it)."""
    return os.environ.get(CI_ENV, "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test locally; fail it in CI, where everything must run."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: CI never skips a test)", pytrace=False)
    pytest.skip(reason)


class CiGate:
    def __init__(self) -> None:
        self.not_run: list[str] = []

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.not_run.extend(f"deselected: {item.nodeid}" for item in items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.skipped:
            self.not_run.append(f"skipped at collection: {report.nodeid} ({_reason(report)})")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not report.skipped:
            return
        if hasattr(report, "wasxfail"):
            self.not_run.append(f"xfailed: {report.nodeid} ({report.wasxfail})")
        else:
            self.not_run.append(f"skipped: {report.nodeid} ({_reason(report)})")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.not_run:
            return
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.section(
                f"CI=true: {len(self.not_run)} test(s) did not run, so this run fails",
                sep="=",
                red=True,
            )
            for line in self.not_run:
                reporter.line(line)
            reporter.line(
                "CI runs every test: install what is missing (bash scripts/bootstrap.sh setup, "
                "as root), remove the xfail, or run without -m/-k/--deselect."
            )
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_configure(config: pytest.Config) -> None:
    if in_ci():
        config.pluginmanager.register(CiGate(), "ci_gate_instance")
