"""The layers as imports (docs/architecture.md): the backends stay below the ops, and npflow/
has no import cycle at module top level. Read from the source with ast, so a new module is
checked as soon as it exists."""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "npflow"


def _modules():
    """Module name -> (path, the package its relative imports start from)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["npflow", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
            out[".".join(parts)] = (path, parts)
        else:
            out[".".join(parts)] = (path, parts[:-1])
    return out


MODULES = _modules()


def _imports(top_level_only):
    """Module -> the npflow modules it imports (``from pkg import mod`` names the module)."""
    graph = {}
    for name, (path, package) in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        nodes = tree.body if top_level_only else ast.walk(tree)
        targets = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package[:len(package) - node.level + 1] if node.level else []
                base = ".".join(base + ([node.module] if node.module else []))
                targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                               for a in node.names)
        graph[name] = {t for t in targets if t in MODULES and t != name}
    return graph


def _cycle(graph):
    """One import cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == "open":
                return stack[stack.index(t):] + [t]
            if t not in state and (found := visit(t)):
                return found
        state[m] = "done"
        stack.pop()
        return None
    return next((c for m in sorted(graph) if m not in state and (c := visit(m))), None)


def test_the_import_graph_is_read():
    graph = _imports(top_level_only=True)
    assert "npflow._core.dispatch" in graph["npflow._core.ndarray"]
    assert "npflow._backends.cupy_backend" in graph["npflow._core.devices"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle_at_module_top_level():
    assert _cycle(_imports(top_level_only=True)) is None


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("npflow._backends")))
def test_backends_import_no_other_layer(module):
    """A backend exposes its array module and its departures from NumPy: it imports nothing of
    npflow above it, not even inside a function (the op layer hands it what it must know)."""
    above = {t for t in _imports(top_level_only=False)[module]
             if not t.startswith("npflow._backends")}
    assert not above, f"{module} imports {sorted(above)}"
