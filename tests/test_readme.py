"""The README stays true: its first commands, the CI command, the usage line, exit codes and finding codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from helpers import CHECKOUT
from helpers.environment import child_env
from helpers.runs import run_cadoctor
from helpers.venvs import install_tools_venv, uv_venv

ROOT = CHECKOUT
README = (ROOT / "README.md").read_text()
PIPX_ROUTE = "pipx install . && cadoctor check"
VENV_ROUTE = "python3 -m venv .venv && .venv/bin/python -m pip install . && .venv/bin/cadoctor check"
TEST_COMMAND = "python3 -m venv .venv && .venv/bin/python -m pip install nox && .venv/bin/python -m nox -s tests"


def first_commands() -> list[str]:
    """The commands of the README's first code block, comments dropped."""
    first_block = README.split("```")[1]
    return [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]


def test_readme_opens_with_the_install_routes_and_the_test_command() -> None:
    """The first code block holds the pipx route, the venv route and the whole-suite test command, in that order."""
    assert first_commands() == [PIPX_ROUTE, VENV_ROUTE, TEST_COMMAND]


def test_no_doc_installs_the_unpublished_name() -> None:
    """No page tells anyone to install `cadoctor` by name from an index: the name is not published."""
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    by_name = re.compile(r"\b(?:pip|pipx|uv tool|uv pip) install(?: -[-\w=]+| --target \S+)* cadoctor\b(?![-./\w])")
    for page in pages:
        assert not by_name.findall(page.read_text()), page.name


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run calls the README's test command verbatim."""
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert TEST_COMMAND in lines


def test_usage_line_names_every_check_option() -> None:
    """Every option `cadoctor check --help` offers appears in the README's usage line, and no other."""
    result = run_cadoctor(["check", "--help"], child_env(COLUMNS="200", NO_COLOR="1"))
    assert result.returncode == 0
    offered = set(re.findall(r"(--[a-z][a-z-]+)", result.stdout)) - {"--help", "--version"}
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("cadoctor check ["))
    usage = " ".join([lines[start], *(line for line in lines[start + 1 :] if line.startswith(" "))][:3])
    documented = set(re.findall(r"(--[a-z][a-z-]+)", usage))
    switched_on = {"--verify", "--cache"}  # the defaults: the usage line names the switches that turn them off
    assert offered - switched_on == documented - switched_on


def test_usage_line_names_every_value_of_each_check_choice() -> None:
    """Each choice option of `check` (--format, --fail-on) is written with all its values in the usage line and
    in its --help metavar or text."""
    from cadoctor._cli.check import CHECK

    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("cadoctor check ["))
    usage = " ".join([lines[start], *(line for line in lines[start + 1 :] if line.startswith(" "))][:3])
    for option in CHECK.options:
        if option.choices is None:
            continue
        values = [str(member.value) for member in option.choices]
        assert "%s %s" % (option.flags[0], "|".join(values)) in usage, option.flags[0]
        assert all(value in "%s %s" % (option.metavar, option.help) for value in values), option.flags[0]


def test_exit_codes_agree_with_the_docs() -> None:
    """The README's exit-code table lists the same codes as docs/exit-codes.md."""
    table = re.compile(r"^\| (\d) \|", re.MULTILINE)
    docs = (ROOT / "docs" / "exit-codes.md").read_text()
    assert table.findall(README) == table.findall(docs) == ["0", "1", "2", "3", "4"]


def test_example_output_uses_known_codes() -> None:
    """The finding codes shown in the README's example are real, documented codes."""
    schema = json.loads(resources.files("cadoctor").joinpath("schema/report-v1.json").read_text())
    shown = set(re.findall(r"^\s+[x!i] ([a-z-]+)  ", README, re.MULTILINE))
    assert shown
    assert shown <= set(schema["knownCodes"])


def test_ci_fails_without_the_oldest_supported_python() -> None:
    """.ci/run's required leg is the oldest Python the package supports, run so that a missing interpreter fails CI."""
    script = (ROOT / ".ci" / "run").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    oldest = re.search(r"^OLDEST=(3\.\d+)", script, re.MULTILINE)
    assert oldest is not None
    assert 'requires-python = ">=%s"' % oldest.group(1) in pyproject
    classifiers = re.findall(r"Programming Language :: Python :: (3\.\d+)", pyproject)
    assert oldest.group(1) == min(classifiers, key=lambda v: int(v.split(".")[1]))
    assert '.venv/bin/python -m nox --error-on-missing-interpreters -s "tests_matrix-$OLDEST"' in script
    assert ".venv/bin/python -m nox --error-on-missing-interpreters -s tests_minimum" in script  # on the oldest too


ROUTES = {
    "pipx": PIPX_ROUTE,
    "uv": PIPX_ROUTE.replace("pipx install .", "uv tool install ."),  # the first line's alternative
    "venv": VENV_ROUTE,
}


def _clean_copy(destination: Path) -> Path:
    """This checkout as a fresh clone has it: every file but what .gitignore keeps out (venvs, caches, builds)."""
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines() if line.strip()]
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(".git", *ignored))
    return destination


@pytest.mark.index
@pytest.mark.slow
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_readme_install_routes_work_from_a_clean_clone(route: str, tmp_path: Path) -> None:
    """Each install route of the README, run verbatim in a clean copy, installs cadoctor and checks your python3.

    The tool routes hand over to the python3 on PATH; the venv route checks the venv it installed into.

    Offline: pip and uv take the wheels from a wheelhouse downloaded once (tests/helpers/venvs.py), so the commands
    run exactly as written, with only the index replaced.
    """
    tools, wheelhouse = install_tools_venv()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python3 = Path(sys.base_prefix) / "bin" / ("python%d.%d" % sys.version_info[:2])
    (bin_dir / "python3").symlink_to(python3)  # the only Python of a fresh machine, and the one the wheels fit
    (bin_dir / "pipx").write_text('#!/bin/sh\nexec "%s" -m pipx "$@"\n' % tools)
    (bin_dir / "pipx").chmod(0o755)
    if route == "uv":
        (bin_dir / "uv").symlink_to(Path(uv_venv()).parent / "uv")
    env = child_env(
        PATH="%s:/usr/bin:/bin" % bin_dir,
        HOME=str(tmp_path / "home"),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        PIPX_HOME=str(tmp_path / "pipx"),
        PIPX_BIN_DIR=str(bin_dir),
        UV_OFFLINE="1",
        UV_NO_INDEX="1",
        UV_FIND_LINKS=str(wheelhouse),
        UV_TOOL_DIR=str(tmp_path / "uv-tools"),
        UV_TOOL_BIN_DIR=str(bin_dir),
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
    )
    clone = _clean_copy(tmp_path / "clone")
    done = subprocess.run(
        ["bash", "-c", ROUTES[route]], cwd=clone, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[-1].startswith("cadoctor: ")  # the report's summary line
    if route == "venv":  # a venv of the user's own examines itself, silently
        assert "Python %s.%s." % sys.version_info[:2] in done.stdout
        assert str(clone / ".venv" / "bin" / "python") in done.stdout
        assert "examining" not in done.stderr
    else:
        installer = {"pipx": "pipx", "uv": "uv tool"}[route]
        assert "cadoctor: examining %s, the python3 on PATH" % (bin_dir / "python3") in done.stderr
        assert "the environment %s made for cadoctor" % installer in done.stderr
