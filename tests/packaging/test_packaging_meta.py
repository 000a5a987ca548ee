"""Fast checks of the packaging sources (no build): one app id and version everywhere, the
Debian version mapping, the icon writers, the Windows version resource, the ELF reader."""

from __future__ import annotations

import configparser
import itertools
import re
import shutil
import struct
import subprocess
import tarfile
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from ci_gate import skip_or_fail
from pkg_smoke import PACKAGING, require_tool, run
from ribuild.bundle import build_tarball
from ribuild.deb import depends
from ribuild.elfdeps import glibc_versions, needed, prune_unreached, reachable_libraries
from ribuild.icons import ICNS_TYPES, LINUX_SIZES, icns_bytes, ico_bytes, png_size, render_pngs
from ribuild.meta import ICON_MASTER, AppMeta, debian_version, read_meta
from ribuild.winversion import version_info_text

import inspector


@pytest.fixture(scope="module")
def meta() -> AppMeta:
    return read_meta()


def test_meta_matches_the_installed_package(meta: AppMeta) -> None:
    # read_meta parses inspector/__init__.py without importing it; it must agree with the import.
    assert meta.app_id == inspector.APP_ID
    assert meta.app_name == inspector.APP_NAME
    assert meta.dist_name == "realtime-inspector"
    assert meta.version_tuple[:3] == tuple(int(n) for n in meta.version.split(".")[:3])


def test_desktop_file_names_the_app_id_icon_and_launcher(meta: AppMeta) -> None:
    path = PACKAGING / "linux" / f"{meta.app_id}.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Icon"] == meta.app_id
    assert entry["Exec"].split()[0] == meta.dist_name
    assert entry["TryExec"] == meta.dist_name
    assert entry["Name"] == meta.app_name
    # Qt's X11 WM_CLASS instance is argv[0]'s basename: the launcher's name groups windows.
    assert entry["StartupWMClass"] == meta.dist_name
    assert parser["Desktop Action demo"]["Exec"] == f"{meta.dist_name} --demo"


def test_metainfo_names_the_app_id_and_current_release(meta: AppMeta) -> None:
    root = ET.parse(PACKAGING / "linux" / f"{meta.app_id}.metainfo.xml").getroot()
    assert root.findtext("id") == meta.app_id
    assert root.findtext("launchable") == f"{meta.app_id}.desktop"
    assert root.findtext("icon") == meta.app_id
    assert root.findtext("name") == meta.app_name
    assert root.findtext("provides/binary") == meta.dist_name
    releases = root.findall("releases/release")
    assert releases, "the metainfo lists no release"
    assert releases[0].get("version") == meta.version, "add a <release> for the new version"


def test_metainfo_links_and_screenshots_are_the_projects(meta: AppMeta) -> None:
    """#15 item 11: homepage and bug tracker equal inspector.HOMEPAGE/ISSUES_URL (and pyproject's
    [project.urls]); each screenshot is a file of docs/screenshots, the default one first."""
    root = ET.parse(PACKAGING / "linux" / f"{meta.app_id}.metainfo.xml").getroot()
    urls = {u.get("type"): u.text for u in root.findall("url")}
    assert meta.homepage.startswith("https://")
    assert meta.issues_url.startswith("https://")
    assert urls["homepage"] == meta.homepage
    assert urls["bugtracker"] == meta.issues_url
    with (PACKAGING.parent / "pyproject.toml").open("rb") as fh:
        project_urls = tomllib.load(fh)["project"]["urls"]
    assert project_urls["Homepage"] == meta.homepage
    assert project_urls["Issues"] == meta.issues_url
    shots = root.findall("screenshots/screenshot")
    assert len(shots) >= 3
    assert shots[0].get("type") == "default"
    raw = meta.homepage.replace("https://github.com/", "https://raw.githubusercontent.com/")
    for shot in shots:
        assert (shot.findtext("caption") or "").strip(), "a screenshot without a caption"
        image = shot.findtext("image") or ""
        assert image.startswith(f"{raw}/main/docs/screenshots/"), image
        assert (PACKAGING.parent / "docs" / "screenshots" / image.rsplit("/", 1)[1]).is_file(), (
            image
        )


def test_metainfo_validates_without_warnings(meta: AppMeta) -> None:
    tool = require_tool("appstreamcli", "appstream")
    metainfo = PACKAGING / "linux" / f"{meta.app_id}.metainfo.xml"
    result = run([tool, "validate", "--no-net", "--pedantic", metainfo], timeout=60)
    assert result.returncode == 0, result.describe()
    # Errors and warnings fail; infos and pedantic notes may name tags newer than this appstream
    # (<developer>) or the app id's capital letters, which the id keeps for compatibility.
    bad = [line for line in result.stdout.splitlines() if line.startswith(("E:", "W:"))]
    assert not bad, result.describe()


def test_project_licence_ships_in_every_artifact(meta: AppMeta) -> None:
    licence = (PACKAGING.parent / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith(f"{meta.license} License"), licence[:40]
    with (PACKAGING.parent / "pyproject.toml").open("rb") as fh:
        assert tomllib.load(fh)["project"]["license-files"] == ["LICENSE"]


@pytest.mark.parametrize(
    ("pep440", "debian"),
    [
        ("0.1.0", "0.1.0"),
        ("1.0rc1", "1.0~rc1"),
        ("1.0.dev3", "1.0~~dev3"),
        ("1.0.post1.dev2", "1.0+post1~dev2"),
        ("1.0rc1.dev2", "1.0~rc1~dev2"),
        ("2.0b1", "2.0~b1"),
        ("1.0.post2", "1.0+post2"),
        ("1.0+g1a2b", "1.0+g1a2b"),
    ],
)
def test_debian_version_mapping(pep440: str, debian: str) -> None:
    assert debian_version(pep440) == debian


def test_debian_versions_sort_like_pep440() -> None:
    if shutil.which("dpkg") is None:
        skip_or_fail("dpkg is not installed: Debian version ordering cannot be checked here")
    ordered = ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1.dev2", "1.0rc1", "1.0"]
    ordered += ["1.0.post1.dev1", "1.0.post1", "1.0.post1+local", "1.1"]
    for older, newer in itertools.pairwise(ordered):
        compared = subprocess.run(
            ["dpkg", "--compare-versions", debian_version(older), "lt", debian_version(newer)],
            check=False,
        )
        assert compared.returncode == 0, f"{older} should sort before {newer} in Debian too"


@pytest.fixture(scope="module")
def pngs() -> dict[int, bytes]:
    return render_pngs(ICON_MASTER, {16, 32, 256})


def test_icon_master_renders_at_each_size(pngs: dict[int, bytes]) -> None:
    from PySide6.QtGui import QImage

    for size, data in pngs.items():
        assert png_size(data) == (size, size)
        image = QImage.fromData(data, "PNG")  # type: ignore[arg-type]  # stubs disagree with runtime
        assert image.width() == size
        # Transparent outside the rounded tile, opaque in the middle where the source is drawn.
        assert image.pixelColor(0, 0).alpha() == 0
        assert image.pixelColor(size // 2, size // 2).alpha() == 255


def test_ico_holds_one_png_per_size(pngs: dict[int, bytes]) -> None:
    data = ico_bytes(pngs)
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind, count) == (0, 1, 3)
    for index, size in enumerate(sorted(pngs)):
        width, height, _c, _r, _p, bpp, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        assert (width or 256, height or 256, bpp) == (size, size, 32)
        assert png_size(data[offset : offset + length]) == (size, size)


def test_icns_holds_each_rendered_type(pngs: dict[int, bytes]) -> None:
    data = icns_bytes(pngs)
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    found: dict[str, tuple[int, int]] = {}
    pos = 8
    while pos < len(data):
        code, length = data[pos : pos + 4].decode(), struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        found[code] = png_size(data[pos + 8 : pos + length])
        pos += length
    expected = {code: (s, s) for code, s in ICNS_TYPES.items() if s in pngs}
    assert found == expected


def test_linux_icon_sizes_cover_the_common_hicolor_set() -> None:
    assert {16, 24, 32, 48, 64, 128, 256, 512} <= set(LINUX_SIZES)


def test_windows_version_resource_reflects_pyproject(meta: AppMeta) -> None:
    text = version_info_text(meta)
    recorded: dict[str, list[tuple[tuple[object, ...], dict[str, object]]]] = {}

    def record(name: str) -> Callable[..., str]:  # stand-ins for PyInstaller's versioninfo classes
        def make(*args: object, **kwargs: object) -> str:
            recorded.setdefault(name, []).append((args, kwargs))
            return name

        return make

    names = (
        "VSVersionInfo FixedFileInfo StringFileInfo StringTable StringStruct VarFileInfo VarStruct"
    )
    eval(text, {n: record(n) for n in names.split()})  # the way PyInstaller loads the file
    assert recorded["FixedFileInfo"][0][1]["filevers"] == meta.version_tuple
    strings = {args[0]: args[1] for args, _ in recorded["StringStruct"]}
    assert strings["ProductVersion"] == meta.version
    assert strings["ProductName"] == meta.app_name


def _pyside_file(*parts: str) -> Path:
    import PySide6

    return Path(PySide6.__file__).parent.joinpath(*parts)


def test_elf_reader_finds_needed_libraries_and_glibc_versions() -> None:
    qtcore = _pyside_file("QtCore.abi3.so")
    assert "libQt6Core.so.6" in needed(qtcore)
    assert "libc.so.6" in needed(_pyside_file("Qt", "lib", "libQt6Core.so.6"))
    assert any(v[0] == 2 for v in glibc_versions(qtcore))
    assert needed(ICON_MASTER) == []  # not ELF


def test_pruning_keeps_what_extensions_reach_and_drops_the_rest() -> None:
    core = "PySide6/Qt/lib/libQt6Core.so.6"
    network = "PySide6/Qt/lib/libQt6Network.so.6"
    files = {
        "PySide6/QtCore.abi3.so": _pyside_file("QtCore.abi3.so"),
        core: _pyside_file("Qt", "lib", "libQt6Core.so.6"),
        network: _pyside_file("Qt", "lib", "libQt6Network.so.6"),
    }
    assert reachable_libraries(files) == {"PySide6/QtCore.abi3.so", core}
    toc = [(dest, str(src), "BINARY") for dest, src in files.items()]
    toc.append(("libQt6Network.so.6", network, "SYMLINK"))
    toc.append(("libQt6Core.so.6", core, "SYMLINK"))
    kept, dropped = prune_unreached(toc)
    assert dropped == {network}
    assert [entry[0] for entry in kept] == ["PySide6/QtCore.abi3.so", core, "libQt6Core.so.6"]


def test_tarball_packing_is_deterministic(meta: AppMeta, tmp_path: Path) -> None:
    folder = tmp_path / "bundle"
    (folder / "_internal").mkdir(parents=True)
    (folder / meta.dist_name).write_text("#!/bin/sh\n", encoding="utf-8")
    (folder / meta.dist_name).chmod(0o755)
    (folder / "_internal" / "data.txt").write_text("x", encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = build_tarball(tmp_path / "a", meta, folder)
    second = build_tarball(tmp_path / "b", meta, folder)
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as tar:
        top = f"{meta.dist_name}-{meta.version}"
        assert tar.getnames() == [
            top,
            f"{top}/_internal",
            f"{top}/_internal/data.txt",
            f"{top}/{meta.dist_name}",
        ]
        assert tar.getmember(f"{top}/{meta.dist_name}").mode == 0o755


def test_deb_depends_refuses_unmapped_system_libraries(tmp_path: Path) -> None:
    # libQt6Network alone "needs" libQt6Core etc. from the system: nothing maps those.
    shutil.copy(_pyside_file("Qt", "lib", "libQt6Network.so.6"), tmp_path)
    with pytest.raises(RuntimeError, match=r"libQt6Core\.so\.6"):
        depends(tmp_path)


def test_pyproject_lists_every_package() -> None:
    # pyproject.toml lists packages explicitly (resources/ ships as inspector.resources), so a
    # new subpackage that is not listed would silently be missing from wheels and bundles.
    import tomllib

    root = Path(inspector.__file__).resolve().parent
    config = tomllib.loads((root.parent / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(("inspector", *p.parent.relative_to(root).parts))
        for p in root.rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"
    assert config["package-dir"]["inspector.resources"] == "resources"


def _pins(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a pip-compile output file."""
    pins: dict[str, tuple[str, int]] = {}
    name = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^ \\]+)", line)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            pins[name] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, count = pins[name]
            pins[name] = (version, count + 1)
    return pins


def _requirement_names(requirements: list[str]) -> set[str]:
    return {
        re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0]).lower()
        for r in requirements
    }


def test_requirements_files_pin_everything_with_hashes() -> None:
    """#15 item 11: requirements/constraints.txt (all: runtime, dev, locust, build backend) and
    requirements/runtime.txt (the README's wheel install) come from pip-compile with hashes,
    cover pyproject.toml, and agree on every version."""
    root = PACKAGING.parent
    with (root / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh)["project"]
    everything = _pins(root / "requirements" / "constraints.txt")
    runtime = _pins(root / "requirements" / "runtime.txt")
    assert all(count > 0 for _, count in everything.values()), "a pin without a hash"
    assert all(count > 0 for _, count in runtime.values()), "a pin without a hash"
    wanted = _requirement_names(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= _requirement_names(extra)
    assert wanted <= set(everything), sorted(wanted - set(everything))
    assert {"setuptools", "wheel"} <= set(everything), "the build backend (pip install -e .)"
    assert _requirement_names(project["dependencies"]) <= set(runtime)
    assert "pytest" not in runtime
    assert "locust" not in runtime
    for name, (version, _) in runtime.items():
        assert everything[name][0] == version, f"{name}: {version} vs {everything[name][0]}"


def test_man_page_text_that_starts_with_a_dot_stays_text() -> None:
    """A help text wrapped so that a line starts with ``...}`` was read by groff as the macro
    ``..}`` (lintian: groff-message); requests and comments stay as they are."""
    from ribuild.clidocs import escape_text_lines

    roff = ".TH X 1\n.TP\n...} or more\n'quoted\nplain\n.B bold\n.\\\" comment\n."
    assert escape_text_lines(roff).split("\n") == [
        ".TH X 1",
        ".TP",
        "\\&...} or more",
        "\\&'quoted",
        "plain",
        ".B bold",
        '.\\" comment',
        ".",
    ]
