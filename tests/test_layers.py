"""The house plan, read from the source: layers import one way, nothing imports the CLI, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cadoctor

PACKAGE = Path(cadoctor.__file__).parent
BASE = (
    "cadoctor._version",
    "cadoctor._model",
    "cadoctor._record",
    "cadoctor._locations",
    "cadoctor._text",
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
    "_check": ("_facts", "_rules", "_fixes"),
    "_cli": ("_facts", "_rules", "_fixes", "_render", "_check"),
    "__init__": ("_check",),
    "__main__": ("_cli",),
    "selfcheck": ("_selfcheck",),
}
SIZE_LIMIT = 600
PROBE_LIMIT = 1000  # the probe is sent whole to other interpreters: one self-contained file


def _module_name(path: Path) -> str:
    """`cadoctor._facts.child.probe` for cadoctor/_facts/child/probe.py."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.Module) -> list[tuple[str, int]]:
    """Every cadoctor module a file imports when it runs (top-level or lazy), with the line; not TYPE_CHECKING ones."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "cadoctor":
            for alias in node.names:
                candidate = "%s.%s" % (node.module, alias.name)
                found.append(
                    (
                        candidate
                        if (PACKAGE.parent / candidate.replace(".", "/")).exists()
                        or (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists()
                        else node.module,
                        node.lineno,
                    )
                )
        elif isinstance(node, ast.Import):
            found.extend((a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "cadoctor")
    return found


def _graph() -> dict[str, list[tuple[str, int]]]:
    """Each package module and the cadoctor modules it imports at run time."""
    return {
        _module_name(path): _runtime_imports(ast.parse(path.read_text(), str(path)))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _layer(module: str) -> str:
    """The layer a module belongs to: its first name below the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_layers_import_one_way() -> None:
    """Rules and facts import no later layer, render imports no rule, and nothing but the entry imports the CLI."""
    wrong = []
    for module, imports in _graph().items():
        if module in BASE:
            allowed: tuple[str, ...] = ()
        else:
            allowed = ALLOWED[_layer(module)]
        for imported, line in imports:
            if imported in BASE or _layer(imported) == _layer(module):
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
    """No module passes 600 lines, except the self-contained runtime probe, which stays under 1000."""
    sizes = {_module_name(p): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert sizes["cadoctor._facts.child.probe"] <= PROBE_LIMIT
    assert not {m: n for m, n in sizes.items() if n > SIZE_LIMIT and m != "cadoctor._facts.child.probe"}


@pytest.mark.parametrize("script", ["probe.py", "client_trial.py"])
def test_scripts_run_in_other_interpreters_import_only_the_standard_library(script: str) -> None:
    """The probe and the request trial run as files in other interpreters: they import nothing from cadoctor."""
    tree = ast.parse((PACKAGE / "_facts" / "child" / script).read_text())
    assert not _runtime_imports(tree)


def test_the_probe_captures_every_variable_the_rules_know() -> None:
    """The probe reads exactly the CA variables whose consumers the rules name, in the same order."""
    from cadoctor._facts.child import probe
    from cadoctor._variables import CA_VARIABLES

    assert tuple(CA_VARIABLES) == probe.CA_VARIABLES


def test_discovery_looks_for_every_client_the_rules_describe() -> None:
    """The facts look for exactly the distributions the client rules (and injectors, certifi) name."""
    from cadoctor._facts.interpreters.distributions import CLIENT_DISTRIBUTIONS
    from cadoctor._rules.client_table import RULES

    assert {rule.distribution for rule in RULES} | {"truststore", "pip-system-certs", "certifi"} == set(
        CLIENT_DISTRIBUTIONS
    )


def test_the_clients_page_is_generated_from_the_rules() -> None:
    """docs/clients.md is what `python -m cadoctor._cli.docs` writes from the rules table."""
    from cadoctor._render.clients import page
    from cadoctor._rules.client_table import RULES, STDLIB
    from cadoctor._rules.stack_table import STACK_RULES

    text = (PACKAGE.parent / "docs" / "clients.md").read_text()
    assert text == page((STDLIB, *RULES), STACK_RULES), "stale: run python -m cadoctor._cli.docs > docs/clients.md"
