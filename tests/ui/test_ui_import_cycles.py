"""No import cycle among the modules of ``inspector.ui`` (issue #9 §2), counting the imports
made only under ``TYPE_CHECKING``: a helper that needs the window's type is a helper that holds
the window. The graph is grimp's, the one import-linter checks the layers with."""

from __future__ import annotations

import grimp

PACKAGE = "inspector.ui"


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


def test_no_import_cycle_inside_inspector_ui() -> None:
    graph = grimp.build_graph("inspector", exclude_type_checking_imports=False, cache_dir=None)
    assert any(m.startswith(PACKAGE + ".") for m in graph.modules)
    assert cycles_within(graph, PACKAGE) == []


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
