"""`cadoctor explain` as a command: a message on stdin or as words, JSON out, and megabytes of log bounded."""

from __future__ import annotations

import json

from helpers.environment import child_env
from helpers.runs import run_cadoctor

CURL_MESSAGE = "curl: (60) SSL certificate problem: unable to get local issuer certificate"
SERVER_MESSAGE = "ERROR OpenSSL::SSL::SSLError: SSL_accept returned=1 errno=0 state=error: tlsv1 alert unknown ca"


def test_cli_reads_stdin_and_prints_json() -> None:
    """`explain -` reads stdin; --format json gives the causes; unknown text exits 1 and says so."""
    result = run_cadoctor(["explain", "--format", "json", "-"], child_env(), input=CURL_MESSAGE)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["known"] is True
    assert "host-unknown-ca" in document["causes"][0]["codes"]
    assert (document["side"], document["side_evidence"]) == ("client", "curl: (")
    server = run_cadoctor(["explain", SERVER_MESSAGE], child_env())
    assert "printed by the server (it shows `SSL_accept`)" in server.stdout
    unknown = run_cadoctor(["explain", "the coffee machine is empty"], child_env())
    assert unknown.returncode == 1
    assert "matches no TLS or CA error" in unknown.stdout


def test_huge_input_is_bounded() -> None:
    """Megabytes of log on stdin are read only up to the limit, and answered quickly."""
    text = "noise " * 1_000_000 + "certificate has expired"
    result = run_cadoctor(["explain"], child_env(), input=text)
    assert result.returncode == 1  # the message lies beyond the first MiB: unknown, and said so
    assert "Traceback" not in result.stderr
