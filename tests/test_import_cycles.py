"""No import circle inside ``inspector`` (issue #9): dependencies point one way, in every package.

The graph is grimp's, the one import-linter checks the layers with. Imports made only under
``TYPE_CHECKING`` count: a helper that needs the window's type to compile is a helper that holds the
window, and a server piece that names the server's type points back up. A circle is a strongly
connected group of two or more modules (or a module importing itself); the failure names them.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest


def cycles_within(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """The import cycles (strongly connected groups of two or more modules, or a module that
    imports itself) among ``package`` and the modules under it, each sorted."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    # Tarjan's algorithm, iterative (no recursion limit on a long chain).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in edges[node]:
                    found.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(found)


def test_no_import_circle_inside_inspector() -> None:
    graph = grimp.build_graph("inspector", exclude_type_checking_imports=False, cache_dir=None)
    assert any(m.startswith("inspector.server.") for m in graph.modules)
    assert any(m.startswith("inspector.ui.") for m in graph.modules)
    found = cycles_within(graph, "inspector")
    if found:
        pytest.fail("import circles (one per line):\n" + "\n".join(" <-> ".join(c) for c in found))


def test_a_type_checking_import_closes_a_circle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """grimp, as built here, reads an import under ``if TYPE_CHECKING:`` as an import."""
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
    graph = grimp.build_graph("shape_probe", exclude_type_checking_imports=False, cache_dir=None)
    assert cycles_within(graph, "shape_probe") == [
        ["shape_probe.a", "shape_probe.b", "shape_probe.c"]
    ]
    graph.remove_import(importer="shape_probe.c", imported="shape_probe.a")
    assert cycles_within(graph, "shape_probe") == []


def test_a_cycle_is_found() -> None:
    """The check fails on a cycle, through a chain and through a TYPE_CHECKING-only import."""
    graph = grimp.ImportGraph()
    for name in ("p", "p.window", "p.helper", "p.widgets", "p.widgets.a", "p.widgets.b", "q"):
        graph.add_module(name)
    graph.add_import(importer="p.window", imported="p.helper")
    graph.add_import(importer="p.helper", imported="p.widgets.a")
    graph.add_import(importer="p.widgets.a", imported="p.widgets.b")
    graph.add_import(importer="p.window", imported="q")
    graph.add_import(importer="q", imported="p.helper")  # leaves p and comes back: no cycle
    assert cycles_within(graph, "p") == []
    # The helper names the window's type (``if TYPE_CHECKING: from .window import Window``).
    graph.add_import(importer="p.widgets.b", imported="p.window")
    assert cycles_within(graph, "p") == [["p.helper", "p.widgets.a", "p.widgets.b", "p.window"]]
    assert cycles_within(graph, "p.widgets") == []
    graph.add_import(importer="q", imported="q")
    assert cycles_within(graph, "q") == [["q"]]
