"""Smoke tests of the .deb: its control data and contents, then installed with ``dpkg -i`` (CI
runs as root): the launcher on PATH runs, the desktop and AppStream files validate, the icons are
where desktops look; removed again at the end of the module."""

from __future__ import annotations

from pathlib import Path

import pytest
from pkg_smoke import (
    app_env,
    check_self_test,
    check_serve,
    check_version,
    require_tool,
    run,
)
from ribuild.deb import debian_arch
from ribuild.icons import LINUX_SIZES
from ribuild.meta import AppMeta, debian_version

pytestmark = pytest.mark.packaging


def _field(deb: Path, name: str) -> str:
    result = run(["dpkg-deb", "--field", deb, name], timeout=30)
    assert result.returncode == 0, result.describe()
    return result.stdout.strip()


def test_deb_control_declares_identity_and_runtime_needs(deb: Path, meta: AppMeta) -> None:
    arch = debian_arch()
    assert deb.name == f"{meta.dist_name}_{debian_version(meta.version)}_{arch}.deb"
    assert _field(deb, "Package") == meta.dist_name
    assert _field(deb, "Version") == debian_version(meta.version)
    assert _field(deb, "Architecture") == arch
    depends = [d.strip() for d in _field(deb, "Depends").split(",")]
    names = {alt.strip().split(" ")[0] for d in depends for alt in d.split("|")}
    # The list: GL, EGL, a font, the xcb libraries (and the libc the bundle was built on).
    for package in ("libgl1", "libegl1", "libxcb1", "libxcb-cursor0", "libxkbcommon-x11-0"):
        assert package in names, f"Depends lacks {package}: {depends}"
    assert any("fonts-dejavu-core" in d for d in depends), f"no font in Depends: {depends}"
    assert any(d.startswith("libc6 (>= 2.") for d in depends), depends
    assert int(_field(deb, "Installed-Size")) > 50_000  # KiB: the whole bundle is in there


def test_deb_contents_follow_the_filesystem_layout(deb: Path, meta: AppMeta) -> None:
    result = run(["dpkg-deb", "--contents", deb], timeout=60)
    assert result.returncode == 0, result.describe()
    entries = {}
    for line in result.stdout.splitlines():
        fields = line.split(None, 5)
        owner, path = fields[1], fields[5].split(" -> ")[0].lstrip(".")
        entries[path] = (fields[0], owner, line)
    assert all(owner == "root/root" for _, owner, _ in entries.values())
    app = f"/opt/{meta.dist_name}/{meta.dist_name}"
    assert entries[app][0].startswith("-rwxr-xr-x"), entries[app][2]
    launcher = entries[f"/usr/bin/{meta.dist_name}"]
    assert launcher[0].startswith("l"), launcher[2]
    assert launcher[2].endswith(f"-> {app}"), launcher[2]
    for path in (
        f"/usr/share/applications/{meta.app_id}.desktop",
        f"/usr/share/metainfo/{meta.app_id}.metainfo.xml",
        f"/usr/share/icons/hicolor/scalable/apps/{meta.app_id}.svg",
        f"/usr/share/doc/{meta.dist_name}/copyright",
        f"/usr/share/doc/{meta.dist_name}/changelog.gz",
        f"/usr/share/man/man1/{meta.dist_name}.1.gz",
        f"/usr/share/bash-completion/completions/{meta.dist_name}",
        f"/usr/share/zsh/vendor-completions/_{meta.dist_name}",
        f"/usr/share/fish/vendor_completions.d/{meta.dist_name}.fish",
        f"/usr/share/lintian/overrides/{meta.dist_name}",
        f"/opt/{meta.dist_name}/licenses/README.txt",
        *(f"/usr/share/icons/hicolor/{s}x{s}/apps/{meta.app_id}.png" for s in LINUX_SIZES),
    ):
        assert path in entries, f"{path} is not in the package"
        assert entries[path][0].startswith("-rw-r--r--"), entries[path][2]


def test_deb_passes_lintian(deb: Path) -> None:
    """#15 item 11: no error or warning; every override in packaging/linux/lintian-overrides has
    its reason there, and an override that matches nothing any more fails too."""
    lintian = require_tool("lintian", "lintian")
    result = run([lintian, "--info", "--tag-display-limit", "0", deb], timeout=600)
    tags = [line for line in result.stdout.splitlines() if line[:2] in ("E:", "W:")]
    unused = [line for line in result.stdout.splitlines() if "unused-override" in line]
    assert not tags, result.describe()
    assert not unused, result.describe()
    assert result.returncode == 0, result.describe()


def test_deb_copyright_is_machine_readable(deb: Path, meta: AppMeta, tmp_path: Path) -> None:
    """DEP-5: a header with Format, Files paragraphs, and a text for every licence they name."""
    result = run(["dpkg-deb", "-x", deb, tmp_path], timeout=120)
    assert result.returncode == 0, result.describe()
    text = (tmp_path / "usr/share/doc" / meta.dist_name / "copyright").read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    assert paragraphs[0].startswith("Format: https://www.debian.org/doc/packaging-manuals/")
    assert f"Source: {meta.homepage}" in paragraphs[0]
    files = [p for p in paragraphs if p.startswith("Files:")]
    assert files[0].startswith("Files: *\n")
    assert "License: Expat" in files[0]
    named = {
        line.split(":", 1)[1].strip()
        for p in files
        for line in p.splitlines()
        if line.startswith("License:")
    }
    standalone = {
        p.split("\n", 1)[0].split(":", 1)[1].strip() for p in paragraphs if p.startswith("License:")
    }
    for licence in named:
        paragraph = next(p for p in files if f"License: {licence}" in p)
        has_text = len(paragraph.split(f"License: {licence}", 1)[1].strip().splitlines()) > 0
        assert licence in standalone or has_text, f"no text for licence {licence}"
    assert (tmp_path / "opt" / meta.dist_name / "licenses" / "qt" / "LGPL-3.txt").is_file()


def test_installed_launcher_reports_version(installed_deb: Path, meta: AppMeta, home: Path) -> None:
    check_version([installed_deb], meta.version, home)
    # On PATH, as a user (or the desktop file's Exec=) would start it.
    result = run([meta.dist_name, "--version"], timeout=60, env=app_env(home))
    assert result.returncode == 0, result.describe()


def test_installed_launcher_serves(installed_deb: Path, home: Path) -> None:
    check_serve([installed_deb], home)


def test_installed_launcher_self_test(installed_deb: Path, home: Path) -> None:
    check_self_test([installed_deb], home)


def test_installed_desktop_file_validates(installed_deb: Path, meta: AppMeta) -> None:
    tool = require_tool("desktop-file-validate", "desktop-file-utils")
    desktop = Path("/usr/share/applications") / f"{meta.app_id}.desktop"
    result = run([tool, desktop], timeout=30)
    assert result.returncode == 0, result.describe()
    assert result.stdout.strip() == "", result.describe()  # not even a hint


def test_installed_metainfo_validates(installed_deb: Path, meta: AppMeta) -> None:
    tool = require_tool("appstreamcli", "appstream")
    metainfo = Path("/usr/share/metainfo") / f"{meta.app_id}.metainfo.xml"
    result = run([tool, "validate", "--no-net", metainfo], timeout=60)
    assert result.returncode == 0, result.describe()
    # Errors and warnings fail; infos may name tags newer than this appstream (e.g. <developer>).
    bad = [line for line in result.stdout.splitlines() if line.startswith(("E:", "W:"))]
    assert not bad, result.describe()


def test_installed_icons_are_where_desktops_look(installed_deb: Path, meta: AppMeta) -> None:
    hicolor = Path("/usr/share/icons/hicolor")
    for size in LINUX_SIZES:
        assert (hicolor / f"{size}x{size}" / "apps" / f"{meta.app_id}.png").is_file()
    assert (hicolor / "scalable" / "apps" / f"{meta.app_id}.svg").is_file()
