"""The README stays true: its first commands, the CI command, the usage line, exit codes and finding codes."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from conftest import clean_env, run_cadoctor

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
INSTALL_AND_CHECK = "python3 -m pip install . && cadoctor check"
TEST_COMMAND = "python3 -m pip install nox && python3 -m nox -s tests"


def test_readme_opens_with_the_two_commands() -> None:
    """The first code block holds exactly the install-and-check command and the whole-suite test command."""
    first_block = README.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == [INSTALL_AND_CHECK, TEST_COMMAND]


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run calls the README's test command verbatim."""
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert TEST_COMMAND in lines


def test_usage_line_names_every_check_option() -> None:
    """Every option `cadoctor check --help` offers appears in the README's usage line, and no other."""
    result = run_cadoctor(["check", "--help"], clean_env(COLUMNS="200", NO_COLOR="1"))
    assert result.returncode == 0
    offered = set(re.findall(r"(--[a-z][a-z-]+)", result.stdout)) - {"--help", "--version"}
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("cadoctor check ["))
    usage = " ".join([lines[start], *(line for line in lines[start + 1 :] if line.startswith(" "))][:3])
    documented = set(re.findall(r"(--[a-z][a-z-]+)", usage))
    assert offered - {"--verify"} == documented - {"--verify"}


def test_exit_codes_agree_with_the_docs() -> None:
    """The README's exit-code table lists the same codes as docs/exit-codes.md."""
    table = re.compile(r"^\| (\d) \|", re.MULTILINE)
    docs = (ROOT / "docs" / "exit-codes.md").read_text()
    assert table.findall(README) == table.findall(docs) == ["0", "1", "2", "3"]


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
    required = 'python3 -m nox --error-on-missing-interpreters -s "tests_matrix-$OLDEST" tests_minimum'
    assert required in script  # tests_minimum runs on the oldest Python too
