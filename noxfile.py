"""Sessions: tests, lint, typecheck, docs, bench, fuzz. `nox -s tests` is the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.error_on_missing_interpreters = False
ROOT = Path(__file__).parent
PYTHONS = re.findall(r"Programming Language :: Python :: (3\.\d+)", (ROOT / "pyproject.toml").read_text())
TEST_DEPS = [
    "cryptography>=42",  # the tests' second opinion on certificates; the package reads DER itself (how-it-works.md)
    "pytest>=7",
    "jsonschema>=4.18",
    "trustme>=1.0",
    "hypothesis>=6",
    "prometheus_client",  # its parser reads `check --format prometheus` as Prometheus' own libraries do
]  # jsonschema 4.18: referencing, which resolves one schema's $ref to another
# About ten TLS clients, so that the check's figures include finding and judging them (and requests.help runs).
BENCH_CLIENTS = ["requests", "httpx", "botocore", "grpcio", "aiohttp", "httplib2", "websockets", "tornado", "redis"]


def _run_tests(session: nox.Session) -> None:
    """Install the built package (not the source tree) and run pytest against it."""
    session.install(".", *TEST_DEPS)
    session.run("pytest", *session.posargs)  # not `python -m`: that would put the checkout on sys.path


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite on the interpreter that runs nox."""
    _run_tests(session)


@nox.session(python=PYTHONS)
def tests_matrix(session: nox.Session) -> None:
    """The test suite on every supported Python found on this machine."""
    _run_tests(session)


def minimum_pins() -> list[str]:
    """`name==X` for every `name>=X` among the dependencies and the build backend: the lowest versions we claim."""
    text = (ROOT / "pyproject.toml").read_text()
    claimed = re.search(r"^dependencies = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL)
    backend = re.search(r"^requires = \[(.*?)\]", text, re.MULTILINE)
    if claimed is None or backend is None:
        raise ValueError("pyproject.toml lists no dependencies or no build backend")
    lowest = re.findall(r'"([A-Za-z0-9_.-]+)>=([^",;]+)"', claimed.group(1) + backend.group(1))
    return ["%s==%s" % pair for pair in lowest]


@nox.session(python=PYTHONS[0])
def tests_minimum(session: nox.Session) -> None:
    """The suite on the oldest Python with the lowest versions pyproject.toml allows, pinned by a constraints file.

    Only what we claim is pinned (our direct dependencies and hatchling, also inside pip's build isolation);
    what they pull in resolves as it would for a user installing those versions today.
    """
    constraints = Path(session.create_tmp()) / "minimum-versions.txt"
    constraints.write_text("".join(pin + "\n" for pin in minimum_pins()))
    session.env["PIP_CONSTRAINT"] = str(constraints)
    _run_tests(session)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy in strict mode over the package, the tests and this file."""
    session.install(".", "mypy>=1.10", "nox", "types-jsonschema", "types-psutil", *TEST_DEPS)
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs site; any warning is an error."""
    session.install("mkdocs>=1.6")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"))


@nox.session
def bench(session: nox.Session) -> None:
    """Performance figures against baselines measured in the same run."""
    session.install(".", *BENCH_CLIENTS, "cryptography>=42")  # the host figures make their chain with tests/helpers/pki
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """The fuzzing campaign (fuzz/campaign.py): each reader of foreign bytes, coverage-guided by atheris where its
    wheels serve this Python (3.9 to 3.13 here; else cadoctor's own mutator), the DER differential on a million
    mutations, and cadoctor run from outside on damaged bundles, ELF files and messages. About twenty minutes;
    `nox -s fuzz -- readers 30` runs one part, shorter. Never in CI."""
    session.install(".", *TEST_DEPS)
    session.run("python", "-m", "pip", "install", "--only-binary=:all:", "atheris", success_codes=[0, 1])
    session.run("python", "fuzz/campaign.py", *(session.posargs or ["all"]))
