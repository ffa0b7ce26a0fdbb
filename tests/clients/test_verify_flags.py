"""Each client's verification flags, measured: who accepts a partial chain and who applies 3.13's strict rules.

Two chains on loopback: one a store anchors at the intermediate the server sends (the store holds no root), one
whose root lacks a critical basicConstraints and a subject key identifier (VERIFY_X509_STRICT refuses it). Every
client's own CA variable names that store, so each reads it; the real clients answer on Python 3.11 and 3.13
(the newest pins, and urllib3 2.2 with httpx 0.27, whose contexts carry no flag), and cadoctor, examining the same
interpreter with the same environment, must judge each client on the host as it behaved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import clients, venvs
from helpers.environment import child_env
from helpers.pki import make_ca, make_chain
from helpers.runs import check_json, validate
from helpers.servers import serve_clients

pytestmark = [pytest.mark.slow, pytest.mark.index]  # real clients from PyPI on two Pythons

# Each client's own variable, all naming the store: the default context's clients read SSL_CERT_FILE.
VARIABLES = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "AWS_CA_BUNDLE",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "HTTPLIB2_CA_CERTS",
    "PIP_CERT",
)
NAMES = {"urllib (stdlib)": "urllib"}  # cadoctor's name of a client -> the harness's


@pytest.fixture(scope="module", params=["partial", "strict"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, int]]:
    """A server and the store every client is pointed at: its intermediate alone, or a root the strict rules refuse."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "partial":
        chain = make_chain(folder, "cadoctor Flags Root")
        assert chain.intermediate is not None
        served = folder / "served.pem"
        served.write_bytes(chain.leaf.read_bytes() + chain.intermediate.read_bytes())
        store, key = chain.intermediate, chain.key
    else:
        ca = make_ca(folder, "cadoctor Flags Legacy Root", strict=False)
        served, store, key = ca.cert, ca.bundle, ca.key
    with serve_clients(served, key) as port:
        yield request.param, store, port


# The client venvs: the newest pins on the suite's interpreter and on 3.13, and the flagless releases on 3.13.
VENVS: dict[str, Callable[[], Path]] = {
    "this": venvs.clients_venv,
    "3.13": lambda: venvs.clients_venv_on("3.13"),
    "3.13-old": lambda: venvs.old_flags_venv_on("3.13"),
}


@pytest.mark.parametrize("which", sorted(VENVS))
def test_each_client_is_judged_by_its_own_flags(which: str, served: tuple[str, Path, int]) -> None:
    """cadoctor's verdict on each client is what the real client did, with the flags its own context carries."""
    case, store, port = served
    python = VENVS[which]()
    env = child_env(**{name: str(store) for name in VARIABLES})
    _status, report = check_json(env, "--no-verify", "--python", str(python), "--host", "localhost:%d" % port)
    validate(report, "report-v1.json")
    [host] = report["hosts"]
    predicted = {NAMES.get(c["name"], c["name"]): c for c in host["clients"]}
    real = {name: clients.outcome(python, name, port, env) for name in predicted if name in clients.CLIENTS}
    assert len(real) >= 3, predicted
    wrong = {
        n: (predicted[n]["ok"], real[n], predicted[n]["reason"]) for n in real if predicted[n]["ok"] != (real[n] == "Y")
    }
    assert not wrong, "cadoctor (ok, reason) vs the real client (Y/N/X): %r" % wrong
    if case == "partial":  # requests refuses it where its context lacks PARTIAL_CHAIN, and is told so
        told = predicted["requests"]["reason"] or ""
        assert ("VERIFY_X509_PARTIAL_CHAIN" in told) is (real["requests"] != "Y"), told


def test_the_flags_split_the_clients_as_measured(served: tuple[str, Path, int]) -> None:
    """On 3.13 the clients that build their own context (botocore, httplib2, grpcio, pip) part from the rest."""
    case, store, port = served
    python = venvs.clients_venv_on("3.13")
    env = child_env(**{name: str(store) for name in VARIABLES})
    seen = {name: clients.outcome(python, name, port, env) for name in ("urllib", "requests", "httpx", "botocore")}
    seen.update({name: clients.outcome(python, name, port, env) for name in ("httplib2", "grpcio", "aiohttp")})
    default, bare = ("Y", "N") if case == "partial" else ("N", "Y")
    assert seen == {
        "urllib": default,
        "requests": default,
        "httpx": default,
        "aiohttp": default,
        "botocore": bare,
        "httplib2": bare,
        "grpcio": bare,
    }
