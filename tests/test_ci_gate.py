"""tests/ci_gate.py: with CI set, a run in which any test did not run fails (issue 10 #22).

Each case runs an inner pytest session (pytester, in a subprocess so the environment variable
is its own) with the plugin loaded as tests/conftest.py loads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = str(Path(__file__).resolve().parent)

INNER = """
import pytest
from ci_gate import skip_or_fail

def test_runs():
    pass

def test_{name}():
    {body}
"""

CASES = {
    "skips": "pytest.skip('no tool here')",
    "xfails": "pytest.xfail('serve is not in this build')",
}
MISSING_TOOL = "skip_or_fail('curl is not installed')"


def run_inner(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    ci: str | None,
    source: str,
    *args: str,
) -> pytest.RunResult:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PYTHONPATH", TESTS)
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest_subprocess("-p", "ci_gate", "-p", "no:cacheprovider", *args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_ci_fails_a_run_in_which_a_test_did_not_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    source = INNER.format(name=name, body=CASES[name])
    result = run_inner(pytester, monkeypatch, "true", source)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*CI=true: 1 test(s) did not run, so this run fails*"])
    result.stdout.fnmatch_lines([f"*test_inner.py::test_{name}*"])


def test_ci_fails_a_test_that_needs_a_missing_tool(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_inner(pytester, monkeypatch, "true", INNER.format(name="tool", body=MISSING_TOOL))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*curl is not installed (CI=true: CI never skips a test)*"])


def test_ci_fails_a_deselected_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = INNER.format(name="other", body="pass")
    result = run_inner(pytester, monkeypatch, "1", source, "-k", "not other")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*deselected: test_inner.py::test_other*"])


def test_ci_passes_a_run_in_which_everything_ran(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_inner(pytester, monkeypatch, "true", INNER.format(name="other", body="pass"))
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=2)


def test_locally_a_skip_is_a_skip(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = INNER.format(name="skips", body=MISSING_TOOL)
    result = run_inner(pytester, monkeypatch, None, source)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=1)


def test_a_real_failure_keeps_its_exit_code(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        INNER.format(name="fails", body="assert False")
        + "\n\ndef test_s():\n    pytest.skip('x')\n"
    )
    result = run_inner(pytester, monkeypatch, "true", source)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=1, skipped=1)
