"""The PyInstaller one-folder bundle and its ``.tar.gz``.

``build_bundle`` runs PyInstaller on ``packaging/pyinstaller/realtime-inspector.spec`` with the
Python that runs this script (so the venv's PySide6 is the one bundled, never a system copy) and
returns ``<out>/dist/realtime-inspector/``, with the licence texts of everything in it under
``licenses/`` (``ribuild/licenses.py``) and the man page and shell completions under ``share/``
(``ribuild/clidocs.py``). ``build_tarball`` packs that folder as
``<out>/realtime-inspector-<version>-linux-<arch>.tar.gz`` with one top-level folder, sorted
entries, root ownership and a fixed mtime (``SOURCE_DATE_EPOCH`` if set), so packing the same
folder twice gives the same bytes. (PyInstaller's own output is not byte-reproducible.)
"""

from __future__ import annotations

import gzip
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from ribuild import clidocs, licenses
from ribuild.elfdeps import is_elf
from ribuild.meta import ROOT, SPEC_FILE, AppMeta


def bundle_dir(out: Path, meta: AppMeta) -> Path:
    """Where the one-folder bundle lands."""
    return out / "dist" / meta.dist_name


def bundle_executable(out: Path, meta: AppMeta) -> Path:
    """The bundle's main executable (GUI and CLI in one on Linux)."""
    suffix = ".exe" if sys.platform == "win32" else ""
    return bundle_dir(out, meta) / f"{meta.dist_name}{suffix}"


def build_bundle(out: Path, meta: AppMeta, icons: Path) -> Path:
    """Run PyInstaller (clean work folder) and return the bundle folder."""
    work = out / "pyinstaller"
    if work.exists():
        shutil.rmtree(work)
    env = dict(os.environ, RI_ICONS_DIR=str(icons))
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        os.environ.get("RI_PYINSTALLER_LOG_LEVEL", "WARN"),
        "--distpath",
        str(out / "dist"),
        "--workpath",
        str(work),
        str(SPEC_FILE),
    ]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    target = bundle_dir(out, meta)
    if not bundle_executable(out, meta).is_file():
        raise RuntimeError(f"PyInstaller finished but {bundle_executable(out, meta)} is missing")
    drop_build_rpaths(target, bundle_executable(out, meta))
    licenses.collect(target, meta, work)
    clidocs.build(target, meta)
    return target


def drop_build_rpaths(bundle: Path, executable: Path) -> list[Path]:
    """Remove RUNPATH/RPATH entries that name folders of the build machine (a pyenv Python
    puts ``/root/.pyenv/versions/X/lib`` into libpython and every stdlib extension). In the
    bundle they are useless (PyInstaller loads libpython by path) and a risk: a library planted
    at that path on the user's machine would be loaded. ``$ORIGIN`` paths are kept. Uses
    patchelf (a Debian package, installed by scripts/bootstrap.sh). Returns the files changed."""
    if sys.platform != "linux":
        return []
    patchelf = shutil.which("patchelf")
    if patchelf is None:
        raise RuntimeError("patchelf is missing: apt install patchelf (scripts/bootstrap.sh does)")
    changed = []
    for path in sorted(bundle.rglob("*")):
        if path == executable or path.is_symlink() or not path.is_file() or not is_elf(path):
            continue
        result = subprocess.run(
            [patchelf, "--print-rpath", str(path)], capture_output=True, text=True, check=False
        )
        entries = [e for e in result.stdout.strip().split(":") if e]
        if any(not e.startswith("$ORIGIN") for e in entries):
            kept = ":".join(e for e in entries if e.startswith("$ORIGIN"))
            args = ["--set-rpath", kept] if kept else ["--remove-rpath"]
            subprocess.run([patchelf, *args, str(path)], check=True)
            changed.append(path)
    return changed


def linux_arch() -> str:
    """Machine name used in the tarball file name (``x86_64``, ``aarch64``)."""
    return platform.machine() or "unknown"


def tarball_path(out: Path, meta: AppMeta) -> Path:
    return out / f"{meta.dist_name}-{meta.version}-linux-{linux_arch()}.tar.gz"


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Root-owned, fixed mtime, modes kept: reproducible archives that unpack cleanly."""
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or 1_700_000_000
    return info


def build_tarball(out: Path, meta: AppMeta, bundle: Path) -> Path:
    """Pack the bundle folder as ``<name>-<version>-linux-<arch>.tar.gz`` (top folder included)."""
    target = tarball_path(out, meta)
    top = f"{meta.dist_name}-{meta.version}"
    tmp = target.with_suffix(".tmp")
    with (
        tmp.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in [bundle, *sorted(bundle.rglob("*"))]:
            arcname = top if path == bundle else f"{top}/{path.relative_to(bundle).as_posix()}"
            tar.add(path, arcname=arcname, recursive=False, filter=_normalise)
    tmp.replace(target)
    return target


def tree_size(path: Path) -> int:
    """Bytes of all regular files under path (symlinks not followed), like ``du -b``'s sum."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
