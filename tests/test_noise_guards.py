"""The noise guards really fail tests: inner pytest runs (pytester, in a subprocess) of tiny test
files that log an ERROR, emit a Qt warning or leave an exception on an asyncio loop, under the
project's own pytest configuration (pyproject.toml) and plugins (tests/noise_guards.py, and for
the qasync loop the GUI suite's tests/ui/conftest.py)."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
TIMEOUT = 90


def run_inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    """Run the files written into ``pytester.path`` with the project's pytest settings."""
    (pytester.path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    paths = [str(TESTS), str(TESTS / "ui"), str(TESTS / "interop"), str(ROOT)]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    return pytester.runpytest_subprocess(
        ".", "-p", "noise_guards", "-p", "no:cacheprovider", "-rA", timeout=TIMEOUT
    )


def outcomes(result: pytest.RunResult) -> dict[str, set[str]]:
    """Test name -> the outcomes the short summary gives it (PASSED, FAILED, ERROR)."""
    found: dict[str, set[str]] = {}
    for line in result.outlines:
        m = re.match(r"(PASSED|FAILED|ERROR) \S+::(\w+)", line)
        if m:
            found.setdefault(m.group(2), set()).add(m.group(1))
    return found


def section(result: pytest.RunResult, test: str) -> str:
    """The failure or error report of ``test`` (from its header to the next one)."""
    text = result.stdout.str()
    start = re.search(rf"^_+ (ERROR at \w+ of )?{test} _+$", text, re.M)
    assert start is not None, f"no report for {test}:\n{text}"
    end = re.search(r"^_{3,} .* _{3,}$|^=+ ", text[start.end() :], re.M)
    return text[start.end() : start.end() + end.start()] if end else text[start.end() :]


def test_an_unexpected_error_record_fails_and_a_declared_one_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_logs=textwrap.dedent(
            """
            import logging

            import pytest

            log = logging.getLogger("app.part")

            def test_error():
                log.error("disk on fire")

            def test_exception():
                try:
                    1 / 0
                except ZeroDivisionError:
                    log.exception("while dividing")

            def test_critical_from_a_logger_of_its_own():
                logging.getLogger("elsewhere").critical("meltdown")

            @pytest.fixture
            def noisy_teardown():
                yield
                log.error("failed to clean up")

            def test_error_in_teardown(noisy_teardown):
                pass

            def test_warning_is_not_noise():
                log.warning("just so you know")

            @pytest.mark.expect_log_errors(r"^disk on fire$")
            def test_declared_by_marker():
                log.error("disk on fire")

            def test_declared_by_fixture(expect_log_errors):
                expected = expect_log_errors(r"on fire", logger="app")
                log.error("disk on fire")
                log.error("cpu on fire")
                assert [r.getMessage() for r in expected.records] == [
                    "disk on fire", "cpu on fire"
                ]

            @pytest.mark.expect_log_errors(r"^disk on fire$")
            def test_declared_but_another_error_comes():
                log.error("disk on fire")
                log.error("fan stopped")

            @pytest.mark.expect_log_errors(r"on fire", logger="other")
            def test_declared_for_another_logger():
                log.error("disk on fire")

            @pytest.mark.expect_log_errors(r"^disk on fire$")
            def test_declared_but_never_logged():
                pass

            @pytest.mark.expect_log_errors(r"^disk on fire$", optional=True)
            def test_declared_optional_and_never_logged():
                pass

            @pytest.mark.expect_log_errors(r"^disk on fire$")
            def test_declared_and_skipped_before_it_came():
                pytest.skip("not today")
            """
        )
    )
    result = run_inner(pytester, monkeypatch)
    assert outcomes(result) == {
        "test_error": {"FAILED"},
        "test_exception": {"FAILED"},
        "test_critical_from_a_logger_of_its_own": {"FAILED"},
        "test_error_in_teardown": {"PASSED", "ERROR"},
        "test_warning_is_not_noise": {"PASSED"},
        "test_declared_by_marker": {"PASSED"},
        "test_declared_by_fixture": {"PASSED"},
        "test_declared_but_another_error_comes": {"FAILED"},
        "test_declared_for_another_logger": {"FAILED"},
        "test_declared_but_never_logged": {"PASSED", "ERROR"},
        "test_declared_optional_and_never_logged": {"PASSED"},
    }
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes()["skipped"] == 1  # and no error: not in outcomes() above
    assert "ERROR app.part: disk on fire" in section(result, "test_error")
    exception = section(result, "test_exception")
    assert "ERROR app.part: while dividing" in exception
    assert "ZeroDivisionError: division by zero" in exception
    assert "CRITICAL elsewhere: meltdown" in section(
        result, "test_critical_from_a_logger_of_its_own"
    )
    assert "during teardown" in section(result, "test_error_in_teardown")
    other = section(result, "test_declared_but_another_error_comes")
    assert "1 unexpected error(s) during call" in other
    assert "ERROR app.part: fan stopped" in other
    assert "none came" in section(result, "test_declared_but_never_logged")


def test_a_qt_warning_fails_and_the_offscreen_platform_message_does_not(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_qt=textwrap.dedent(
            """
            import pytest
            from PySide6.QtCore import qCritical, qWarning
            from PySide6.QtWidgets import QWidget

            def test_warning():
                qWarning("something odd")

            def test_critical():
                qCritical("something worse")

            @pytest.fixture
            def warns_in_teardown():
                yield
                qWarning("odd at the end")

            def test_warning_in_teardown(warns_in_teardown):
                pass

            @pytest.mark.qt_log_ignore(r"^odd at the end$")
            def test_warning_in_teardown_ignored_by_marker(warns_in_teardown):
                pass

            def test_a_shown_window_on_offscreen(qtbot, qtlog):
                widget = QWidget()
                qtbot.addWidget(widget)
                widget.show()
                qtbot.waitExposed(widget)
                widget.setMinimumSize(100, 100)  # the size hints offscreen cannot pass on
                ignored = [r.message for r in qtlog.records if r.ignored]
                assert ignored == ["This plugin does not support propagateSizeHints()"]
            """
        )
    )
    result = run_inner(pytester, monkeypatch)
    assert outcomes(result) == {
        "test_warning": {"FAILED"},
        "test_critical": {"FAILED"},
        "test_warning_in_teardown": {"PASSED", "ERROR"},
        "test_warning_in_teardown_ignored_by_marker": {"PASSED"},
        "test_a_shown_window_on_offscreen": {"PASSED"},
    }
    assert "something odd" in section(result, "test_warning")
    assert "Qt QtWarningMsg during teardown: odd at the end" in section(
        result, "test_warning_in_teardown"
    )


LOOP_TESTS = """
import asyncio
import gc

import pytest


async def fail():
    raise ValueError("nobody awaited me")


async def test_task_exception_never_retrieved():
    asyncio.get_running_loop().create_task(fail())  # no reference kept
    for _ in range(3):
        await asyncio.sleep(0)


async def test_task_in_a_reference_cycle():
    class Holder:
        pass

    holder = Holder()

    async def fail_held():
        raise ValueError("held in a cycle", holder)  # holder -> task -> exception -> holder

    # Only the guard's own gc.collect() after the test can free the cycle and so report the
    # task: the collector stays off for the rest of this (inner, throwaway) run.
    gc.disable()
    holder.task = asyncio.get_running_loop().create_task(fail_held())
    for _ in range(3):
        await asyncio.sleep(0)
    del holder


async def test_exception_in_a_callback():
    def broken():
        raise KeyError("callback")

    asyncio.get_running_loop().call_soon(broken)
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_retrieved_exception_is_fine():
    task = asyncio.get_running_loop().create_task(fail())
    with pytest.raises(ValueError):
        await task


def test_asyncio_run_in_a_sync_test():
    async def main():
        asyncio.get_running_loop().create_task(fail())
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    asyncio.run(main())
"""


def test_an_unhandled_loop_exception_fails_on_asyncio_and_qasync_loops(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = pytester.mkdir("plain")
    (plain / "test_loops.py").write_text(LOOP_TESTS)
    gui = pytester.mkdir("gui")
    # The GUI suite's own conftest: its qasync loop factory and event processing.
    (gui / "conftest.py").write_text((TESTS / "ui" / "conftest.py").read_text())
    (gui / "test_qasync_loops.py").write_text(
        LOOP_TESTS
        + textwrap.dedent(
            """

            async def test_runs_on_qasync():
                import qasync

                assert isinstance(asyncio.get_running_loop(), qasync.QEventLoop)
            """
        )
    )
    result = run_inner(pytester, monkeypatch)
    expected = {
        "test_task_exception_never_retrieved": {"FAILED"},
        "test_task_in_a_reference_cycle": {"PASSED", "ERROR"},
        "test_exception_in_a_callback": {"FAILED"},
        "test_retrieved_exception_is_fine": {"PASSED"},
        "test_asyncio_run_in_a_sync_test": {"FAILED"},
    }
    found: dict[str, dict[str, set[str]]] = {"plain": {}, "gui": {}}
    for line in result.outlines:
        m = re.match(r"(PASSED|FAILED|ERROR) (plain|gui)/\S+::(\w+)", line)
        if m:
            found[m.group(2)].setdefault(m.group(3), set()).add(m.group(1))
    assert found["plain"] == expected, result.stdout.str()
    assert found["gui"] == {**expected, "test_runs_on_qasync": {"PASSED"}}, result.stdout.str()
    text = result.stdout.str()
    # Reported by the guard's loop exception handler (not as the asyncio logger's ERROR record).
    assert len(re.findall(r"^asyncio: Task exception was never retrieved$", text, re.M)) >= 6
    assert len(re.findall(r"^asyncio: Exception in callback ", text, re.M)) >= 2
    assert text.count("ValueError: ('held in a cycle', <") >= 2
    assert text.count("KeyError: 'callback'") >= 2
