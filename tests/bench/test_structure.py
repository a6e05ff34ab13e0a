"""bench/ stays readable as it grows: one module per scenario family, no import circles.

Reads the source only (``ast``), so it runs in milliseconds and imports nothing of the bench.
"""

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
# Readability is the requirement (the scenarios are read more than they are run): a module
# past this many lines is split by family before it grows further.
MAX_LINES = 800


def module_name(path: Path, root: Path) -> str:
    """``root/relay/consumers.py`` -> ``bench.relay.consumers``; a package's ``__init__.py`` is
    the package itself (``root`` is the ``bench`` directory)."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def bench_imports(root: Path = BENCH) -> dict[str, set[str]]:
    """Every module under ``root`` -> the modules of ``root``'s package it imports, wherever
    the import stands: at module level, in a function, under ``if`` (a lazy import still
    makes a circle, it only hides it until the call)."""
    modules = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    package = root.name
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = graph.setdefault(name, set())
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's own package upwards
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join([*here, *([base] if base else [])])
                # `from bench import servers` imports the module bench.servers.
                found = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            else:
                continue
            for target in found:
                # `import bench.relay.consumers as c`: the deepest module that exists.
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                inside = target == package or target.startswith(package + ".")
                if inside and target != name:
                    edges.add(target)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) per strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """The shortest way from the group's first module back to itself, within the group."""
    start = group[0]
    members = set(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return group  # not reached: a strongly connected group always closes


def long_modules(root: Path = BENCH, limit: int = MAX_LINES) -> dict[str, int]:
    """Modules under ``root`` longer than ``limit`` lines -> their line counts."""
    counts = {
        module_name(p, root): len(p.read_text().splitlines()) for p in sorted(root.rglob("*.py"))
    }
    return {name: n for name, n in counts.items() if n > limit}


def test_bench_modules_import_no_circle():
    cycles = import_cycles(bench_imports())
    assert not cycles, "import circles in bench/:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_nothing_imports_the_command_line_entry():
    # `python -m bench` runs bench/__main__.py as `__main__`: importing it as bench.__main__
    # loads a second copy of it; what others need from it lives in bench.runinfo.
    importers = sorted(m for m, edges in bench_imports().items() if "bench.__main__" in edges)
    assert not importers, f"bench.__main__ imported by {importers}"


def test_no_bench_module_passes_the_line_limit():
    too_long = long_modules()
    assert not too_long, f"bench modules over {MAX_LINES} lines (split them by family): {too_long}"


def test_the_checks_see_a_lazy_circle_and_a_long_module(tmp_path):
    root = tmp_path / "bench"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from bench import b\n")
    (root / "b.py").write_text("def f():\n    from bench.a import g\n" + "\n" * MAX_LINES)
    (root / "c.py").write_text("import bench.b\nfrom . import a\n")
    graph = bench_imports(root)
    assert graph["bench.c"] == {"bench.a", "bench.b"}
    assert import_cycles(graph) == [["bench.a", "bench.b", "bench.a"]]
    assert long_modules(root) == {"bench.b": MAX_LINES + 2}
