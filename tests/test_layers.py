"""The house plan, read from the source: layers import one way, nothing imports the CLI, no import cycles."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest
from helpers import CHECKOUT

import cadoctor

PACKAGE = Path(cadoctor.__file__).parent


def _stdlib_modules() -> frozenset[str]:
    """The standard library's top-level module names (`sys.stdlib_module_names` from 3.10; its folders before)."""
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names)
    import pkgutil
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]  # the base interpreter's: in a venv, platstdlib is the venv's own
    folders = [stdlib, os.path.join(stdlib, "lib-dynload")]
    return frozenset(sys.builtin_module_names) | {module.name for module in pkgutil.iter_modules(folders)}


STDLIB_MODULES = _stdlib_modules()
BASE = (
    "cadoctor._version",
    "cadoctor._model",
    "cadoctor._record",
    "cadoctor._locations",
    "cadoctor._text",
    "cadoctor._redact",
    "cadoctor._errors",
    "cadoctor._variables",
)
# What each layer may import besides the standard library, the base modules and itself.
ALLOWED = {
    "_facts": (),
    "_rules": (),
    "_fixes": ("_facts", "_rules"),
    "_render": (),
    "_selfcheck": ("_facts",),
    "_commands": ("_facts", "_rules", "_fixes"),
    "_cli": ("_commands", "_render", "_facts", "_rules"),  # of those two, only option defaults and limits
    "__init__": ("_commands",),
    "__main__": ("_cli",),
    "selfcheck": ("_selfcheck",),
}
SIZE_LIMIT = 600
CHILD = PACKAGE / "_facts" / "child"  # also runs in other interpreters, as a folder of its own


def _module_name(path: Path) -> str:
    """`cadoctor._facts.child.jobs` for cadoctor/_facts/child/jobs.py."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_from(node: ast.ImportFrom, path: Path) -> str:
    """The absolute name of the module an import-from reads, a relative one resolved inside `path`'s package."""
    if not node.level:
        return node.module or ""
    package = _module_name(path if path.name == "__init__.py" else path.parent / "__init__.py").split(".")
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _runtime_imports(tree: ast.Module, path: Path) -> list[tuple[str, int]]:
    """Every cadoctor module a file imports when it runs (top-level or lazy), with the line; not TYPE_CHECKING ones.

    Relative imports count under the absolute names they resolve to, so that they are in the graph too.
    """
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        module = _imported_from(node, path) if isinstance(node, ast.ImportFrom) else ""
        if module.split(".")[0] == "cadoctor":
            assert isinstance(node, ast.ImportFrom)
            for alias in node.names:
                candidate = "%s.%s" % (module, alias.name)
                found.append(
                    (
                        candidate
                        if (PACKAGE.parent / candidate.replace(".", "/")).exists()
                        or (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists()
                        else module,
                        node.lineno,
                    )
                )
        elif isinstance(node, ast.Import):
            found.extend((a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "cadoctor")
    return found


def _graph() -> dict[str, list[tuple[str, int]]]:
    """Each package module and the cadoctor modules it imports at run time."""
    return {
        _module_name(path): _runtime_imports(ast.parse(path.read_text(), str(path)), path)
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _is_base(module: str) -> bool:
    """Whether anyone may import the module: a base module, or one of the model package's."""
    return module in BASE or module.startswith("cadoctor._model.")


def _layer(module: str) -> str:
    """The layer a module belongs to: its first name below the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_layers_import_one_way() -> None:
    """Rules and facts import no later layer, render imports no rule, and nothing but the entry imports the CLI."""
    wrong = []
    for module, imports in _graph().items():
        if _is_base(module):
            allowed: tuple[str, ...] = ()
        else:
            allowed = ALLOWED[_layer(module)]
        for imported, line in imports:
            if _is_base(imported) or _layer(imported) == _layer(module):
                continue
            if not any(imported == "cadoctor." + a or imported.startswith("cadoctor.%s." % a) for a in allowed):
                wrong.append("%s:%d imports %s" % (module, line, imported))
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    """No two modules reach each other through imports, lazy ones included."""
    graph = {m: {i for i, _ in imports if i != m} for m, imports in _graph().items()}
    cycles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    cycles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert not cycles, "\n".join(sorted(set(cycles)))


def test_modules_stay_small() -> None:
    """No module passes 600 lines, the child's included."""
    sizes = {_module_name(p): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert not {m: n for m, n in sizes.items() if n > SIZE_LIMIT}


@pytest.mark.parametrize("path", sorted(CHILD.glob("*.py")), ids=lambda path: path.name)
def test_the_child_imports_only_the_standard_library_and_itself(path: Path) -> None:
    """Each module of the child imports the standard library, or a sibling by a relative import: nothing else."""
    wrong = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        elif isinstance(node, ast.ImportFrom):
            names = [] if node.level == 1 else ["%s%s" % ("." * node.level, node.module or "")]
        else:
            continue
        wrong += ["%d: %s" % (node.lineno, name) for name in names if name.split(".")[0] not in STDLIB_MODULES]
    assert not wrong, wrong


def test_the_clients_page_is_generated_from_the_rules() -> None:
    """docs/clients.md is what `python -m cadoctor._cli.docs` writes from the rules table."""
    from cadoctor._render.clients import page
    from cadoctor._rules.client_table import MODES, RULES, STDLIB
    from cadoctor._rules.stack_table import STACK_RULES

    text = (CHECKOUT / "docs" / "clients.md").read_text()  # the checkout's page, whatever package is installed
    stale = "stale: run python -m cadoctor._cli.docs > docs/clients.md"
    assert text == page((STDLIB, *RULES, *MODES), STACK_RULES), stale
