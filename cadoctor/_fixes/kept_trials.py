"""Which trials' answers are kept between checks, under what name, and until when.

A trial's answer follows from the interpreter, the environment, the working folder, the question, the files the
child read or asked about and the libraries it mapped (`_facts/interpreters/kept.py` keeps it, and serves it only
while every one of those is as it was). Its name holds the first four, and besides:

- the files the trial itself wrote (the joined bundle a fix builds, the client certificate joined with its key):
  new in each check, they are named by their bytes, and their folder by a placeholder. A trial that names a
  folder the trial made (a hashed copy) is never kept: nothing names its content;
- for a request to a host through a client library, the host: the chain it sends, and how it answered this check's
  own handshake (verified or not, and why). The key holds the chain's bytes and that outcome as this check saw
  them: another chain, or another answer, is another question;
- and the time: a chain verifies only while each certificate of its path is valid. A request's verdict is served
  only before the first end of validity among the chain's certificates and every copy of their issuers in the
  stores this check read, a fix trial's (it verifies its sample roots) before the first among those roots and
  their copies; a certificate not yet valid keeps nothing. That time is decided when the answer is kept.

Kept: a store trial's (which store each library resolves, what OpenSSL loads from it), a fix trial's without a
host (what a fresh interpreter's default context loads with the fix, and whether it verifies the sample roots),
and a request trial's where every file a verdict follows from is seen by the child (`_facts/child/depends.py`):
never for an injected truststore (which looks for candidate files by `isfile`, unseen, before OpenSSL's own), grpc
(whose core reads its roots itself) or uv (another program). A verdict that proved nothing (no answer from the
host) is never kept: the next check asks again.
"""

from __future__ import annotations

import hashlib
import json
import os

from cadoctor._facts.child import jobs
from cadoctor._facts.child.client_trial import ROUTES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cadoctor._facts.interpreters.proof import ProvenPython
    from cadoctor._model import Facts, Fix, HostCheck

UNSEEN_ROUTES = frozenset({"grpcio", "uv"})  # routes whose reads the child cannot see
SCRATCH = "<trial folder>"  # what a trial's own folder is called in a key


def name_for(
    request: dict[str, Any], fix: Fix, proven: ProvenPython, env: dict[str, str], cwd: str, scratch: str
) -> str | None:
    """The name a child's answer may be kept under; None where it is never kept.

    A store trial, or a fix trial without a host, is named by its question and the trial's own files (`store_key`);
    a request through the client libraries by the host's chain and answer too, and only where it can be kept at all
    (`request_key`). A fix trial's own handshake is never kept. Until when an answer serves is decided when it is
    kept (`keep`): a repeated check that finds it asks nothing of time, the entry says.
    """
    if "host" not in request:
        return store_key(proven, request, env, cwd, scratch)
    if request.get("job") != jobs.CLIENT_TRIAL:
        return None
    return request_key(proven, request, env, cwd, scratch, fix)


def keep(
    name: str, request: dict[str, Any], fix: Fix, facts: Facts, answer: dict[str, Any], started: float, scratch: str
) -> None:
    """Keep a child's answer under its name, until the time it may serve (`until_for`), if it may be kept at all.

    Kept without the trial's own files (its name holds their bytes); a request trial's only when every verdict is
    one: an unanswered request proves nothing, and the next check asks again.
    """
    import time

    from cadoctor._facts.interpreters import kept

    keeps, until = until_for(request, fix, facts, time.time())
    if not keeps:
        return
    if "host" in request and any(result.get("ok") is None for result in (answer.get("clients") or {}).values()):
        return
    kept.keep(name, {**answer, "depends": unkept_paths(answer.get("depends") or [], scratch)}, started, until)


def until_for(request: dict[str, Any], fix: Fix, facts: Facts, now: float) -> tuple[bool, float | None]:
    """Whether an answer may be kept, and until when it serves (time.time(); None: while its files are as they were).

    A request to a host serves until the first end of validity among the chain and its issuers' copies
    (`valid_until`); a fix trial, which verifies its sample roots, until the first among them and theirs
    (`first_end`). Where that has no answer (a certificate not yet valid, an issuer no store read holds), time alone
    could change the answer, or nothing tells when: it is not kept.
    """
    if "host" in request:
        until = valid_until(fix.trial_host, facts, now) if fix.trial_host is not None else None
        return until is not None, until
    if request.get("job") != jobs.FIX_TRIAL or not request.get("samples"):
        return True, None
    import base64

    until = first_end([base64.b64decode(item) for item in request["samples"]], facts, now)
    return until is not None, until


def store_key(
    python: ProvenPython, request: Mapping[str, Any], env: Mapping[str, str], cwd: str, scratch: str
) -> str | None:
    """The name a store trial's answer is kept under; None: not kept (it names a folder the trial made)."""
    return _named(python, request, env, cwd, scratch, {})


def request_key(
    python: ProvenPython, request: Mapping[str, Any], env: Mapping[str, str], cwd: str, scratch: str, fix: Fix
) -> str | None:
    """The name a request trial's answer is kept under; None: never kept."""
    host = fix.trial_host
    if host is None or fix.inject or not host.chain or any(not item.der for item in host.chain):
        return None
    if any(ROUTES.get(name, name) in UNSEEN_ROUTES for name in request.get("clients", ())):
        return None
    seen = {
        "chain": [hashlib.sha256(item.der).hexdigest() for item in host.chain],
        "seen": [host.ok, host.stage, host.code, host.reason, host.verify_code, host.server_name],
    }
    return _named(python, request, env, cwd, scratch, seen)


def _named(
    python: ProvenPython,
    request: Mapping[str, Any],
    env: Mapping[str, str],
    cwd: str,
    scratch: str,
    besides: dict[str, Any],
) -> str | None:
    """A trial's name, or None when the trial names a folder it made (nothing names its content).

    The question and the environment with the trial's folder as a placeholder, that folder's files by their bytes,
    and `besides`.
    """
    from cadoctor._facts.interpreters import kept

    question = json.dumps(request, sort_keys=True)
    written = _written(scratch, [question, *env.values()])
    if written is None:
        return None
    named = {**besides, "request": question.replace(scratch, SCRATCH), "written": written}
    placed = {name: value.replace(scratch, SCRATCH) for name, value in env.items()}
    return kept.key(python, json.dumps(named, sort_keys=True).encode(), placed, cwd)


def _written(scratch: str, texts: list[str]) -> list[list[str]] | None:
    """Each file of the trial's own folder that `texts` name, with the SHA-256 of its bytes.

    None when one of them is not a regular file (a hashed folder's copy): nothing here names its content.
    """
    import stat

    found = []
    for name in sorted(os.listdir(scratch)):
        path = os.path.join(scratch, name)
        if not any(path in text for text in texts):
            continue
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            found.append([name, hashlib.sha256(handle.read()).hexdigest()])
    return found


def valid_until(host: HostCheck, facts: Facts, now: float) -> float | None:
    """Until when a host's verdicts may serve: the chain it sent, as `first_end` reads it."""
    return first_end([item.der for item in host.chain], facts, now)


def first_end(ders: list[bytes], facts: Facts, now: float) -> float | None:
    """The first end of validity among these certificates and every copy of their issuers in the stores read.

    In time.time() seconds; None when one of them is not yet valid, does not parse, or no store read holds an issuer
    of theirs: time alone could then change a verdict, or nothing tells when it would.
    """
    from cadoctor._facts.certs.bundle import parse
    from cadoctor._facts.certs.der import MalformedDER, certificate_parts
    from cadoctor._facts.certs.names import with_subject

    parsed = [parse(der) for der in ders]
    issuers = []
    for der in ders:
        try:
            issuers.append(certificate_parts(der).issuer)
        except MalformedDER:
            return None
    anchors = [
        parse(der)
        for bundle in facts.bundles
        for issuer in dict.fromkeys(issuers)
        for der in with_subject(list(bundle.ders.values()), issuer)
    ]
    if not anchors:
        return None
    ends = []
    for certificate in [*parsed, *anchors]:
        if certificate is None or certificate.not_before.timestamp() > now:
            return None
        ends.append(certificate.not_after.timestamp())
    return min(ends)


def unkept_paths(depends: list[Any], scratch: str) -> list[Any]:
    """What an answer follows from, but the trial's own folder: new in each check, its files are in the key."""
    inside = scratch.rstrip(os.sep) + os.sep
    return [item for item in depends if not (isinstance(item, list) and str(item[0]).startswith(inside))]
