"""The shape of inspector.server: no import cycle among its modules (issue #9, section 1).

``TYPE_CHECKING`` imports count (grimp includes them by default): a type-only back-pointer is
still a back-pointer.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest


def cycle_in(graph: grimp.ImportGraph, package: str) -> list[str] | None:
    """One import cycle among ``package`` and its submodules, as a path, or None."""
    modules = {m for m in graph.modules if m == package or m.startswith(package + ".")}
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module) & modules):
            if imported in on_path:
                return [*path[path.index(imported) :], imported]
            if imported not in done:
                found = visit(imported)
                if found is not None:
                    return found
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for module in sorted(modules):
        if module not in done:
            found = visit(module)
            if found is not None:
                return found
    return None


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("inspector", include_external_packages=False, cache_dir=None)


def test_the_search_finds_a_cycle_made_by_a_type_checking_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "shape_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("from .c import f\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import g\n"
    )
    (package / "d.py").write_text("from . import a, c\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("shape_probe", include_external_packages=False, cache_dir=None)
    cycle = ["shape_probe.a", "shape_probe.b", "shape_probe.c", "shape_probe.a"]
    assert cycle_in(graph, "shape_probe") == cycle
    graph.remove_import(importer="shape_probe.c", imported="shape_probe.a")
    assert cycle_in(graph, "shape_probe") is None


def test_no_import_cycle_inside_the_server(graph: grimp.ImportGraph) -> None:
    assert cycle_in(graph, "inspector.server") is None
