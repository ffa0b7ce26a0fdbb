"""A host that requires a client certificate: every fix trial presents `--client-cert`, each library its own way.

The server asks for a certificate issued under its own client CA and refuses a connection without one, as an mTLS
API gateway does. Its root is in the OS store only (a private mount namespace), so the clients that carry their own
copy of Mozilla's roots fail it and cadoctor proposes pointing them at the OS bundle. A trial whose requests came
without the certificate would be refused whatever the fix did for trust: only requests that present it can show
the fix works. Ground truth: requests itself, with the fix's variable and the certificate, reaches the host.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers import os_store, venvs
from helpers.environment import child_env
from helpers.pki import make_chain
from helpers.runs import CHILD_TIMEOUT, check_json, validate
from helpers.servers import serve, serve_clients, server_context, tls_handler

pytestmark = pytest.mark.slow

GET = """
import sys
import requests
print(requests.get(sys.argv[1], cert=(sys.argv[2], sys.argv[3]), timeout=10).status_code)
"""


def _check(python: Path, prefix: Sequence[str], *options: str) -> dict[str, Any]:
    """`cadoctor check --python <venv> --format json` in the private store's namespace: its report, validated."""
    _, report = check_json(child_env(), "--python", str(python), *options, prefix=prefix)
    validate(report, "report-v1.json")
    return report


def test_every_trial_presents_the_client_certificate_and_shows_the_fix(tmp_path: Path) -> None:
    """With --client-cert and --client-key, the fix for the clients on their own roots is shown to work by a real
    request through each of them (requests, botocore, grpc, httplib2, httpx), each presenting the certificate."""
    python = venvs.clients_venv()
    server = make_chain(tmp_path / "server")
    assert server.intermediate is not None
    chained = tmp_path / "leaf-and-intermediate.pem"
    chained.write_bytes(server.leaf.read_bytes() + server.intermediate.read_bytes())
    identity = make_chain(tmp_path / "identity", "cadoctor Client Root", intermediate=False, client=True)
    with (
        serve_clients(chained, server.key, require=identity.root) as port,
        os_store.os_store_with(server.root) as store,
    ):
        host = "localhost:%d" % port
        refused = _check(python, store.prefix, "--host", host)["hosts"][0]
        assert (refused["code"], refused["reason"]) == (
            "host-client-cert-rejected",
            "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        )
        report = _check(
            python, store.prefix, "--host", host, "--client-cert", str(identity.leaf), "--client-key", str(identity.key)
        )
        assert report["hosts"][0]["ok"] is True
        (fix,) = [f for f in report["fixes"] if f["kind"] == "env" and "REQUESTS_CA_BUNDLE" in (f["env"] or {})][:1]
        assert fix["verified"] is True, fix["evidence"]
        tried = {trial["client"]: trial for trial in fix["trials"] if not trial["absent"]}
        assert {"requests", "botocore", "grpcio", "httplib2", "httpx"} <= set(tried)
        for name, trial in tried.items():
            assert trial["verified"] is True, (name, trial["detail"])
            assert trial["detail"].startswith("the host answered"), (name, trial["detail"])
        applied = {**child_env(), **{k: v for k, v in fix["env"].items() if v is not None}}
        truth = subprocess.run(
            [*store.prefix, str(python), "-c", GET, "https://%s/" % host, str(identity.leaf), str(identity.key)],
            env=applied,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    assert truth.stdout.strip() == "404", truth.stderr


def test_a_refused_client_certificate_proves_nothing_about_the_fix(tmp_path: Path) -> None:
    """A request the server refuses for its client certificate (an unknown_ca alert, received after the client
    verified the server) is no verdict on trust: not 'the fix did not work'.

    TLS 1.2 makes the alert part of the handshake, so the client always reads it (under 1.3 the client may read
    the connection's end before it).
    """
    import ssl
    import urllib.error
    import urllib.request

    from cadoctor._facts.child.client_trial import _failure
    from cadoctor._rules.certificate_alerts import REASONS

    server = make_chain(tmp_path / "server", intermediate=False)
    accepted = make_chain(tmp_path / "identity", "cadoctor Client Root", intermediate=False, client=True)
    stranger = make_chain(tmp_path / "stranger", "cadoctor Stranger Root", intermediate=False, client=True)
    serving = server_context(server.leaf, server.key)
    serving.maximum_version = ssl.TLSVersion.TLSv1_2
    serving.verify_mode = ssl.CERT_REQUIRED
    serving.load_verify_locations(cafile=str(accepted.root))
    context = ssl.create_default_context(cafile=str(server.root))
    context.load_cert_chain(str(stranger.leaf), str(stranger.key))
    with serve(tls_handler(serving)) as port, pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen("https://localhost:%d/" % port, context=context, timeout=10)  # noqa: S310 - loopback
    verdict, detail = _failure(refused.value, REASONS)
    assert verdict is None, detail
    assert detail.startswith("the host refused the client certificate (--client-cert)"), detail
    assert "ALERT_UNKNOWN_CA" in detail
    unknown = ssl.create_default_context()  # no store holds the server's root: a real verification failure
    with serve(tls_handler(serving)) as port, pytest.raises(urllib.error.URLError) as failed:
        urllib.request.urlopen("https://localhost:%d/" % port, context=unknown, timeout=10)  # noqa: S310 - loopback
    assert _failure(failed.value, REASONS)[0] is False


def test_uv_presents_the_certificate_joined_with_its_key_by_the_check(tmp_path: Path) -> None:
    """uv takes one PEM holding key and certificate (SSL_CLIENT_CERT): the check joins a key given apart with its
    certificate in the trials' scratch folder (`verify._presented`, as a check calls it), and the real uv binary of a
    venv presents it. The child itself writes no copy of the key anywhere."""
    from cadoctor._facts.child import jobs
    from cadoctor._fixes.verify import _presented

    python = venvs.uv_venv()
    server = make_chain(tmp_path / "server", intermediate=False)
    identity = make_chain(tmp_path / "identity", "cadoctor Client Root", intermediate=False, client=True)
    scratch, temporary = tmp_path / "scratch", tmp_path / "tmp"
    scratch.mkdir()
    temporary.mkdir()
    presented = _presented((str(identity.leaf), str(identity.key)), str(scratch))
    assert presented is not None
    assert presented[2] is not None
    assert Path(presented[2]).stat().st_mode & 0o077 == 0  # a copy of the key: this user's alone
    env = child_env(SSL_CERT_FILE=str(server.root), TMPDIR=str(temporary))
    answers = {}
    with serve_clients(server.leaf, server.key, require=identity.root) as port:
        for given in (None, presented):
            request = {"job": jobs.CLIENT_TRIAL, "host": "localhost", "port": port, "timeout": 10, "clients": ["uv"]}
            request.update({"identity": given} if given else {})
            done = subprocess.run(
                [str(python), jobs.FOLDER],
                input=json.dumps(request).encode(),
                env=env,
                capture_output=True,
                timeout=CHILD_TIMEOUT,
                check=False,
            )
            answers[given is not None] = json.loads(done.stdout)["clients"]["uv"]
    assert answers[True]["ok"] is True, answers[True]["detail"]
    assert answers[True]["detail"].startswith("the host answered"), answers[True]["detail"]
    assert answers[False]["ok"] is not True, answers[False]["detail"]  # refused without it
    assert list(temporary.iterdir()) == []
