"""Smoke tests of the wheel and sdist (``python -m build``), installed into a fresh venv."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest
from pkg_smoke import app_env, check_help, check_self_test, check_serve, check_version, run
from ribuild.meta import AppMeta
from ribuild.wheel import normalised_name

pytestmark = pytest.mark.packaging


def test_wheel_holds_the_package_and_its_entry_point(wheel: Path, meta: AppMeta) -> None:
    name = normalised_name(meta)
    assert wheel.name == f"{name}-{meta.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = f"{name}-{meta.version}.dist-info"
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        metadata = zf.read(f"{dist_info}/METADATA").decode()
    for module in ("inspector/__init__.py", "inspector/cli.py", "inspector/app.py"):
        assert module in names, f"{module} is not in the wheel"
    assert f"{meta.dist_name} = inspector.cli:main" in entry_points
    assert f"Version: {meta.version}" in metadata
    assert not [n for n in names if n.startswith("tests/")], "tests leaked into the wheel"


def test_wheel_carries_the_icons(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert any(n.endswith("icons/app.svg") for n in names), "the app icon is not in the wheel"


def test_sdist_builds_the_wheel(wheel: Path, meta: AppMeta) -> None:
    # python -m build makes the wheel FROM the sdist, so the sdist is complete if the wheel is.
    sdist = wheel.with_name(f"{normalised_name(meta)}-{meta.version}.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {m.name.split("/", 1)[-1] for m in tar.getmembers()}
    assert {"pyproject.toml", "inspector/__init__.py", "inspector/cli.py"} <= names


def test_fresh_venv_runs_the_installed_wheel(wheel_venv: Path, meta: AppMeta, home: Path) -> None:
    script = wheel_venv / "bin" / meta.dist_name
    check_version([script], meta.version, home)
    check_help([script], home)
    # The import resolves inside the venv, not to the source tree.
    where = run(
        [wheel_venv / "bin" / "python", "-c", "import inspector; print(inspector.__file__)"],
        timeout=60,
        env=app_env(home),
        cwd=home,
    )
    assert where.returncode == 0, where.describe()
    assert Path(where.stdout.strip()).is_relative_to(wheel_venv), where.describe()


def test_fresh_venv_serves(wheel_venv: Path, meta: AppMeta, home: Path) -> None:
    check_serve([wheel_venv / "bin" / meta.dist_name], home)


def test_fresh_venv_self_test(wheel_venv: Path, meta: AppMeta, home: Path) -> None:
    check_self_test([wheel_venv / "bin" / meta.dist_name], home)
