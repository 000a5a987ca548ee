"""Smoke tests of the PyInstaller one-folder bundle and its .tar.gz (built once per session)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
from pkg_smoke import (
    check_help,
    check_self_test,
    check_serve,
    check_version,
    dpkg_owner,
    require_tool,
    system_library,
)
from ribuild.bundle import linux_arch
from ribuild.deb import SYSTEM_LIBRARIES, depends
from ribuild.elfdeps import external_sonames
from ribuild.meta import AppMeta

pytestmark = pytest.mark.packaging


def test_bundle_reports_its_version(bundle: Path, meta: AppMeta, home: Path) -> None:
    check_version([bundle / meta.dist_name], meta.version, home)


def test_bundle_help_lists_gui_and_cli(bundle: Path, meta: AppMeta, home: Path) -> None:
    check_help([bundle / meta.dist_name], home)


def test_bundle_serves_over_a_real_socket(bundle: Path, meta: AppMeta, home: Path) -> None:
    check_serve([bundle / meta.dist_name], home)


def test_bundle_self_test_offscreen(bundle: Path, meta: AppMeta, home: Path) -> None:
    check_self_test([bundle / meta.dist_name], home)


def test_bundle_is_lean(bundle: Path) -> None:
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    unwanted = ("QtQml", "QtQuick", "QtNetwork", "QtPdf", "QtDesigner", "QtWebEngine", "Qt6Qml")
    found = sorted(n for n in names if any(u in Path(n).name for u in unwanted))
    assert not found, f"unused Qt modules were bundled: {found}"
    assert not [n for n in names if "/translations/" in n], "Qt translations were bundled"
    assert not [n for n in names if n.endswith("libqgtk3.so")], "the GTK3 platform theme"
    dangling = [n for n in names if (bundle / n).is_symlink() and not (bundle / n).exists()]
    assert not dangling, f"symlinks to pruned files: {dangling}"
    # What the app needs is still there: Qt's xcb, Wayland and offscreen platforms, SVG icons.
    for plugin in ("libqxcb.so", "libqwayland.so", "libqoffscreen.so", "libqsvg.so"):
        assert any(n.endswith(f"/{plugin}") for n in names), f"{plugin} is missing"
    assert any(n.endswith("resources/icons/app.svg") for n in names), "app icon not bundled"
    # The Load panel's charts are in (pyqtgraph's data files, numpy's extensions; the
    # self-test draws them); gevent and ZeroMQ (compiled), which only the `locust -f` module
    # uses (docs/load.md), are not.
    tops = {Path(n).parts[1] for n in names if n.startswith("_internal/") and "/" in n}
    assert {"pyqtgraph", "numpy"} <= tops, "pyqtgraph or numpy is missing"
    assert not {"locust", "gevent", "zmq"} & tops, "Locust's stack was bundled"


def test_bundle_needs_only_system_libraries_the_deb_declares(bundle: Path) -> None:
    missing = external_sonames(bundle)
    assert set(missing) <= set(SYSTEM_LIBRARIES), (
        f"new system libraries to map in ribuild/deb.py: {sorted(set(missing) - set(SYSTEM_LIBRARIES))}"
    )
    required, recommended = depends(bundle)
    declared = {alt.split(" ")[0] for item in required + recommended for alt in item.split(" | ")}
    assert {SYSTEM_LIBRARIES[s] for s in missing} <= declared
    # The map is right where this machine can tell: dpkg -S names the same package.
    require_tool("dpkg", "dpkg")
    for soname in missing:
        location = system_library(soname)
        if location is not None:
            owner = dpkg_owner(location)
            assert owner is None or owner.split(":")[0] == SYSTEM_LIBRARIES[soname], (
                f"{soname} is shipped by {owner} here, not {SYSTEM_LIBRARIES[soname]}"
            )


def test_tarball_unpacks_to_a_runnable_bundle(
    tarball: Path, meta: AppMeta, tmp_path: Path, home: Path
) -> None:
    assert tarball.name == f"{meta.dist_name}-{meta.version}-linux-{linux_arch()}.tar.gz"
    top = f"{meta.dist_name}-{meta.version}"
    with tarfile.open(tarball) as tar:
        members = tar.getmembers()
        assert {m.name.split("/")[0] for m in members} == {top}
        assert all(m.uid == 0 and m.gid == 0 for m in members)
        executable = tar.getmember(f"{top}/{meta.dist_name}")
        assert executable.mode & stat.S_IXUSR
        tar.extractall(tmp_path, filter="tar")
    unpacked = tmp_path / top / meta.dist_name
    try:
        assert os.access(unpacked, os.X_OK)
        # Runs from wherever it is unpacked: nothing points back at the build folder.
        check_version([unpacked], meta.version, home)
        check_help([unpacked], home)
    finally:
        shutil.rmtree(tmp_path / top)  # ~170 MB; pytest keeps old tmp folders around


def test_bundle_ships_every_licence_text(bundle: Path, meta: AppMeta) -> None:
    """#15 item 11: the project's licence, Python's, the LGPL for Qt/PySide6, one folder per
    bundled Python distribution and the Debian copyright file of each system library."""
    licences = bundle / "licenses"
    index = (licences / "README.txt").read_text(encoding="utf-8")
    assert (licences / meta.dist_name / "LICENSE").read_text(encoding="utf-8").startswith("MIT")
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in (licences / "python" / "LICENSE.txt").read_text(
        encoding="utf-8"
    )
    lgpl = (licences / "qt" / "LGPL-3.txt").read_text(encoding="utf-8")
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in lgpl
    assert "Version 3" in lgpl
    packages = {p.name.lower() for p in (licences / "python-packages").iterdir()}
    for dist in ("pyside6_essentials", "shiboken6", "websockets", "httpx", "qasync", "keyring"):
        assert dist in packages, f"no licence folder for {dist}: {sorted(packages)}"
    for folder in (licences / "python-packages").iterdir():
        assert any(f.stat().st_size > 0 for f in folder.iterdir()), f"{folder.name} is empty"
    # Every shared library PyInstaller copied from the system is attributed.
    internal = bundle / "_internal"
    copied = [p.name for p in internal.iterdir() if p.name.startswith("libssl")]
    assert copied
    assert "libssl.so.3" in index
    assert any((licences / "system-libraries").iterdir())
    for line in index.splitlines():
        if line.strip().startswith("text: "):
            for name in line.split("text: ", 1)[1].split(", "):
                assert (licences / name).is_file(), f"the index names a missing file: {name}"


def test_bundle_has_no_build_machine_library_paths(bundle: Path) -> None:
    """No RUNPATH/RPATH into the build machine (a pyenv Python writes /root/.pyenv/… into
    libpython and every stdlib extension; a library planted there would be loaded)."""
    patchelf = require_tool("patchelf", "patchelf")
    from ribuild.elfdeps import is_elf

    leaks = []
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink() and is_elf(path):
            result = subprocess.run(
                [patchelf, "--print-rpath", str(path)], capture_output=True, text=True, check=False
            )
            entries = [e for e in result.stdout.strip().split(":") if e]
            if any(not e.startswith("$ORIGIN") for e in entries):
                leaks.append(f"{path.relative_to(bundle)}: {result.stdout.strip()}")
    assert not leaks, leaks[:5]


def test_bundle_carries_man_page_and_completions(bundle: Path, meta: AppMeta) -> None:
    """#15 item 8: generated from the argparse parser at packaging time, for every subcommand."""
    share = bundle / "share"
    roff = (share / "man" / "man1" / f"{meta.dist_name}.1").read_text(encoding="utf-8")
    man = roff.replace("\\-", "-")  # roff writes a hyphen as \-
    requests = [
        line
        for line in roff.splitlines()
        if line.startswith("'")
        or (line.startswith(".") and line != "." and not (line[1].isalpha() or line[1] == "\\"))
    ]
    assert not requests, f"text lines roff would read as requests: {requests}"
    from inspector.cli import SUBCOMMANDS

    for name in SUBCOMMANDS:
        assert f"{meta.dist_name} {name}" in man, f"the man page lacks {name}"
    bash = share / "bash-completion" / "completions" / meta.dist_name
    result = subprocess.run(
        ["bash", "-c", f"source {bash} && complete -p {meta.dist_name}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert meta.dist_name in result.stdout, result.stderr
    zsh = (share / "zsh" / "vendor-completions" / f"_{meta.dist_name}").read_text(encoding="utf-8")
    assert zsh.startswith(f"#compdef {meta.dist_name}")
    fish = share / "fish" / "vendor_completions.d" / f"{meta.dist_name}.fish"
    assert "complete -c" in fish.read_text(encoding="utf-8")
