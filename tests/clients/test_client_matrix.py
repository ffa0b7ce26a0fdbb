"""The client matrix re-run: every client of the test venvs, in every column of CLIENTS.md, real and predicted.

A column says where the server's root is and what the CA variables name (`helpers.clients.SCENARIOS`): the OS
store, each variable naming the root, a missing path, an empty value or another root with the server's root in
the OS store, and the switches that move a client to the OS store. In each column every real client makes one
request to the loopback server (Y verified, N refused the certificate, X raised on its CA setting), and
`cadoctor check --python <venv> --host` must give each the same verdict: Y is `ok`, N is a refusal, X a client
said to raise. The failure message lists every client that disagrees, with the real client's evidence.

The venvs are the test suite's own (`helpers.venvs`): the clients at the versions CLIENTS.md measured on the
newest Python, a botocore without certifi, pip 24.1, pip-system-certs 5, pip-system-certs 4 (which patches requests
alone) beside httpx, botocore and pip 23.2.1, and uv. Columns with the root in the OS
store run in a private mount namespace (root only; skipped with the reason otherwise).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import clients, venvs
from helpers.runs import check_json, validate

pytestmark = [pytest.mark.slow, pytest.mark.index, pytest.mark.field]

NAMES = {"urllib": "urllib (stdlib)", "http.client": "urllib (stdlib)"}  # the harness's name -> cadoctor's


@dataclass(frozen=True)
class Row:
    """A venv of the suite and the clients measured in it (the harness's names)."""

    python: Callable[[], Path]
    clients: tuple[str, ...]
    since: tuple[int, int] = (3, 9)  # the oldest Python its pins install on


ROWS = {
    "clients": Row(venvs.clients_venv, tuple(clients.CLIENTS)),
    "botocore-without-certifi": Row(venvs.botocore_without_certifi_venv, ("botocore",)),
    "pip-24.1": Row(venvs.old_pip_venv, ("pip",)),
    "pip-system-certs": Row(venvs.pip_system_certs_venv, ("requests", "pip"), since=(3, 10)),
    "uv": Row(venvs.uv_venv, ("uv",)),
    "pip-system-certs-4": Row(
        venvs.old_pip_system_certs_venv, ("urllib", "requests", "httpx", "botocore", "pip"), since=(3, 10)
    ),
}


def _cells() -> list[Any]:
    """Every (row, column) pair, the OS-store columns marked as needing root."""
    cells = []
    for row_name in ROWS:
        for column, spec in clients.SCENARIOS.items():
            marks = [pytest.mark.root("a private mount namespace over /etc/ssl/certs")] if spec.os_store else []
            cells.append(pytest.param(row_name, column, marks=marks, id="%s-%s" % (row_name, column)))
    return cells


def _agrees(real: str, verdict: bool | None, effect: str | None) -> bool:
    """cadoctor's verdict is the real client's: Y accepted, N refused (not raising), X said to raise."""
    if real == "X":
        return effect == "raises"
    if real == "Y":
        return verdict is True
    return verdict is False and effect != "raises"


@pytest.mark.parametrize(("row_name", "column"), _cells())
def test_every_real_client_gets_cadoctors_verdict(row_name: str, column: str, truth: clients.Measurements) -> None:
    """In this column, each client of the venv does what cadoctor says it does."""
    row = ROWS[row_name]
    if sys.version_info < row.since:
        pytest.skip("the %s venv's pins need Python %d.%d" % (row_name, *row.since))
    python = row.python()
    real = truth.matrix(python, column, row.clients)
    command = ["--no-verify", "--python", str(python), "--host", "localhost:%d" % truth.port]
    _status, report = check_json(truth.env(column), *command, prefix=truth.prefix(column), cwd=truth.cwd(column))
    validate(report, "report-v1.json")
    verdicts = {c["name"]: c["ok"] for c in report["hosts"][0]["clients"]}
    effects = {c["name"]: c["trust"].get("effect") for c in report["clients"]}
    wrong = {}
    for name, seen in real.items():
        named = NAMES.get(name, name)
        if named not in effects:
            wrong[name] = "not listed by cadoctor (real: %s)" % seen.code
        elif not _agrees(seen.code, verdicts.get(named), effects[named]):
            said = "ok=%s effect=%s" % (verdicts.get(named), effects[named])
            wrong[name] = "cadoctor %s; real %s: %s" % (said, seen.code, seen.evidence[:300])
    assert not wrong, "\n".join("%s: %s" % pair for pair in sorted(wrong.items()))
