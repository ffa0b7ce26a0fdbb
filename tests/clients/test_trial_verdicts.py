"""What a trial's failed request says of a fix: only this side's verification, or a store it cannot load, is a failure.

A host that ends the exchange for its own reasons (a name it does not serve, a connection it drops) fails every
client alike, trusted or not: that is no verdict on the fix (`null`), never "the fix did not work". Each case runs
the real libraries of the clients venv against a loopback server whose root every one of them is told to trust, and
ground truth comes first: this process's own default context, trusting the root, meets the same end without a
verification error.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import venvs
from helpers.environment import child_env
from helpers.pki import make_chain
from helpers.runs import CHILD_TIMEOUT
from helpers.servers import serve, server_context, tls_handler

from cadoctor._facts.child import jobs
from cadoctor._rules.certificate_alerts import REASONS

pytestmark = pytest.mark.slow

CLIENTS = ["requests", "httpx", "urllib (stdlib)", "httplib2", "botocore"]
VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE", "HTTPLIB2_CA_CERTS")


def _hangs_up(conn: socket.socket) -> None:
    """Read the client's hello, then close: no alert, no handshake."""
    conn.recv(4096)
    conn.close()


def _ends(case: str, root_dir: Path) -> tuple[Callable[[socket.socket], None], Path]:
    """The server of one case, and the root that verifies it."""
    chain = make_chain(root_dir, intermediate=False)
    serving = server_context(chain.leaf, chain.key)
    if case == "hangs up":
        return _hangs_up, chain.root

    def unrecognized(sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> int:
        """A name this host does not serve: refused with the alert that says so."""
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME

    serving.sni_callback = unrecognized
    return tls_handler(serving), chain.root


@pytest.mark.parametrize("case", ["hangs up", "unrecognized name"])
def test_a_host_that_ends_the_exchange_proves_nothing_about_the_fix(tmp_path: Path, case: str) -> None:
    """Every client, trusting the host's root, meets the host's end: each verdict is null, none a failure."""
    handler, root = _ends(case, tmp_path / "server")
    with serve(handler) as port:
        trusting = ssl.create_default_context(cafile=str(root))
        with pytest.raises(ssl.SSLError) as ended, socket.create_connection(("localhost", port), timeout=10) as raw:
            trusting.wrap_socket(raw, server_hostname="localhost")
        assert not isinstance(ended.value, ssl.SSLCertVerificationError)  # ground truth: not this side's verdict
        request = {
            "job": jobs.CLIENT_TRIAL,
            "host": "localhost",
            "port": port,
            "timeout": 10,
            "clients": CLIENTS,
            "refused": sorted(REASONS),
        }
        done = subprocess.run(
            [str(venvs.clients_venv()), jobs.FOLDER],
            input=json.dumps(request).encode(),
            env=child_env(**{name: str(root) for name in VARIABLES}),
            capture_output=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    answers: dict[str, Any] = json.loads(done.stdout)["clients"]
    assert set(answers) == set(CLIENTS), done.stderr
    for name, answer in answers.items():
        assert answer["ok"] is None, (name, answer["detail"])
        assert "verify failed" not in answer["detail"], (name, answer["detail"])


def test_a_store_the_library_cannot_load_is_a_failure(tmp_path: Path) -> None:
    """The fix's store is a file no library can load: that is the fix failing, for every client that reads it."""
    chain = make_chain(tmp_path / "server", intermediate=False)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with serve(tls_handler(server_context(chain.leaf, chain.key))) as port:
        request = {"job": jobs.CLIENT_TRIAL, "host": "localhost", "port": port, "timeout": 10, "clients": ["requests"]}
        done = subprocess.run(
            [str(venvs.clients_venv()), jobs.FOLDER],
            input=json.dumps(request).encode(),
            env=child_env(REQUESTS_CA_BUNDLE=str(garbage)),
            capture_output=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    answer = json.loads(done.stdout)["clients"]["requests"]
    assert answer["ok"] is False, answer["detail"]
