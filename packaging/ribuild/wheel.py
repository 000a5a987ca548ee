"""The wheel and sdist, built the standard way (``python -m build``: sdist first, then the wheel
from the unpacked sdist, each in an isolated environment), so a file the sdist forgets breaks the
wheel here rather than for a user."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from ribuild.meta import ROOT, AppMeta


def python_dir(out: Path) -> Path:
    return out / "python"


def normalised_name(meta: AppMeta) -> str:
    """The distribution name as wheel and sdist file names spell it (PEP 625/427)."""
    return meta.dist_name.replace("-", "_").lower()


def build_wheel(out: Path, meta: AppMeta) -> tuple[Path, Path]:
    """Build both into ``out/python`` (emptied first); return (wheel, sdist)."""
    target = python_dir(out)
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(target), str(ROOT)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    name = normalised_name(meta)
    wheel = target / f"{name}-{meta.version}-py3-none-any.whl"
    sdist = target / f"{name}-{meta.version}.tar.gz"
    for path in (wheel, sdist):
        if not path.is_file():
            found = ", ".join(p.name for p in target.iterdir())
            raise RuntimeError(f"python -m build did not write {path.name} (found: {found})")
    return wheel, sdist
