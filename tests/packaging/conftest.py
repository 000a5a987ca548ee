"""Packaging smoke tests: every artifact is built ONCE per session with the documented command
(``packaging/make.py <artifact>``) into a temporary folder, then checked by several tests.

Skipping: ``pytest -m "not packaging"`` or ``RI_SKIP_PACKAGING=1`` leaves them out locally. With
CI=true they always run: asking to skip, or a missing tool, is a failure there.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# pkg_smoke puts packaging/ on sys.path, so ribuild (the build helpers) imports after it.
from ci_gate import in_ci
from pkg_smoke import BUILD_TIMEOUT, SKIP_ENV, TEST_TIMEOUT, make, require_root, require_tool, run
from ribuild.bundle import bundle_executable
from ribuild.meta import AppMeta, read_meta


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A packaging test may build artifacts in its setup: the suite's 120 s per test is too
    short for that on a loaded machine (see BUILD_TIMEOUT)."""
    for item in items:
        if item.get_closest_marker("packaging") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Runs before any fixture of the item, so a skipped test never triggers a build."""
    if item.get_closest_marker("packaging") is None:
        return
    if os.environ.get(SKIP_ENV, "").strip() not in {"", "0"}:
        if in_ci():
            pytest.fail(f"{SKIP_ENV} is set but CI never skips the packaging smoke tests")
        pytest.skip(f"{SKIP_ENV} is set: packaged builds not smoke-tested (CI always runs them)")


@pytest.fixture(scope="session")
def meta() -> AppMeta:
    return read_meta()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One output folder for every artifact of the session, removed at the end (it holds a few
    hundred MB)."""
    out = tmp_path_factory.mktemp("packaging-out")
    yield out
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A throwaway HOME/XDG tree for each run of the app."""
    return tmp_path / "home"


@pytest.fixture(scope="session")
def bundle(artifacts: Path, meta: AppMeta) -> Path:
    """The PyInstaller one-folder bundle (also renders the icons)."""
    folder = make("bundle", artifacts)
    assert bundle_executable(artifacts, meta).is_file()
    return folder


@pytest.fixture(scope="session")
def tarball(artifacts: Path, bundle: Path) -> Path:
    return make("tarball", artifacts, "--reuse")


@pytest.fixture(scope="session")
def deb(artifacts: Path, bundle: Path) -> Path:
    require_tool("dpkg-deb", "dpkg")
    return make("deb", artifacts, "--reuse")


@pytest.fixture(scope="module")
def installed_deb(deb: Path, meta: AppMeta) -> Iterator[Path]:
    """The .deb installed with ``dpkg -i``; removed again (and checked gone) afterwards."""
    require_root("installing the .deb with dpkg -i")
    require_tool("dpkg", "dpkg")
    result = run(["dpkg", "-i", deb], timeout=100)
    if result.returncode != 0:
        run(["dpkg", "--purge", meta.dist_name], timeout=60)
        pytest.fail(f"dpkg -i failed (missing Depends?)\n{result.describe()}")
    launcher = Path("/usr/bin") / meta.dist_name
    yield launcher
    removed = run(["dpkg", "--purge", meta.dist_name], timeout=60)
    assert removed.returncode == 0, removed.describe()
    assert not launcher.exists()
    assert not (Path("/opt") / meta.dist_name).exists()


@pytest.fixture(scope="session")
def wheel(artifacts: Path) -> Path:
    return make("wheel", artifacts)


@pytest.fixture(scope="session")
def wheel_venv(artifacts: Path, wheel: Path) -> Path:
    """A fresh venv (no system site packages, not the project's) set up as README's Install
    section says: the dependencies from requirements/runtime.txt, every file checked against its
    hash, then the wheel without dependencies; ``pip check`` proves nothing is missing."""
    venv = artifacts / "wheel-venv"
    created = run([sys.executable, "-m", "venv", venv], timeout=60)
    assert created.returncode == 0, created.describe()
    python = venv / "bin" / "python"
    runtime = Path(__file__).resolve().parents[2] / "requirements" / "runtime.txt"
    pip: list[str | Path] = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    installed = run([*pip, "--require-hashes", "-r", runtime], timeout=BUILD_TIMEOUT)
    assert installed.returncode == 0, installed.describe()
    installed = run([*pip, "--no-deps", wheel], timeout=BUILD_TIMEOUT)
    assert installed.returncode == 0, installed.describe()
    checked = run([python, "-m", "pip", "check"], timeout=120)
    assert checked.returncode == 0, checked.describe()
    return venv
