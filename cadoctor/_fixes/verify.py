"""Try each fix in a fresh child of the examined interpreter, with exactly that change applied."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping

from cadoctor._facts.child import jobs
from cadoctor._fixes.library_trials import (
    DEFAULT_CONTEXT,
    TRIAL_TIMEOUT,
    answer_for,
    asks_libraries,
    joined,
    library_requests,
    route_groups,
    route_request,
    stand_ins,
    through_problem,
)
from cadoctor._fixes.rehash_trial import rehashed_env
from cadoctor._fixes.settings import edited_copy
from cadoctor._model import ClientTrial, Facts, Fix
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._facts.interpreters.proof import ProvenPython
    from cadoctor._fixes.library_trials import Identity

    Answer = tuple[dict[str, Any] | None, str | None]  # a child's decoded answer, or why it gave none


TRIAL_OUTPUT_LIMIT = 1 << 20  # bytes accepted from a trial child: its outcome is a few kilobytes
# What a fix's evidence says first when some of its requests were answered by an earlier check's kept verdicts
KEPT_REQUESTS = "the requests through %s are an earlier check's, kept while nothing they follow from changes"


def _child_env(base: Mapping[str, str], change: Mapping[str, str | None] | None) -> dict[str, str]:
    """The checked process's environment with one change applied."""
    env = dict(base)
    for name, value in (change or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def reproduction(fix: Fix, facts: Facts) -> list[str]:
    """The subject's own OpenSSL files to preload so the trial starts where the process is (empty when it would).

    A process whose `ssl` runs a copy the loader would not pick by itself (mysql-connector's vendored libcrypto,
    imported before `ssl`) is reproduced by loading that exact file first; a fix that swaps the library is tried
    without it, since that is the change.
    """
    library = facts.ssl_library
    if fix.preload or fix.kind == "library" or facts.subject is None or facts.subject.kind != "process":
        return []
    if library is None or library.role != "libcrypto" or library.deleted:
        return []
    own = {os.path.realpath(s.path) for s in facts.system_libraries}
    if library.realpath in own:
        return []
    folder = os.path.dirname(library.path)
    ssl_copies = [lib.path for lib in facts.libraries if lib.role == "libssl" and os.path.dirname(lib.path) == folder]
    return [library.path, *ssl_copies]


def _request(fix: Fix, facts: Facts, timeout: float, identity: Identity | None) -> dict[str, Any]:
    """What the child should try: preloads, explicit locations, sample roots, and the host's handshake.

    The handshake presents `identity` (the client certificate and its key) when the check was given one.
    """
    source = facts.bundle(fix.sample_source) if fix.sample_source else None
    ders = fix.trial_samples or (source.samples if source else ())
    import base64  # only when a fix is tried

    samples = [base64.b64encode(der).decode("ascii") for der in ders]
    request: dict[str, Any] = {
        "job": jobs.FIX_TRIAL,
        "preload": list(fix.preload) or reproduction(fix, facts),
        "imports": list(facts.extension_modules),
        "cafile": fix.cafile,
        "capath": fix.capath,
        "add_cafile": fix.add_cafile,
        "samples": samples,
    }
    if fix.trial_host is not None:
        host = fix.trial_host
        request["host"] = {"host": host.host, "port": host.port, "server_name": host.server_name, "timeout": timeout}
        if identity is not None:
            request["host"]["client_cert"], request["host"]["client_key"] = identity
    return request


def _answer_problem(outcome: Any) -> str | None:
    """Why a trial's answer is not the probe's outcome (a child's output is untrusted), or None when it is."""
    if not isinstance(outcome, dict):
        return "it answered %s, not the probe's outcome" % type(outcome).__name__
    if not jobs.is_answer(outcome, jobs.FIX_TRIAL):
        return "it answered JSON, but not the probe's outcome"
    shapes: tuple[tuple[str, tuple[type, ...]], ...] = (
        ("error", (str, type(None))),
        ("loaded", (int, type(None))),
        ("roots", (dict, type(None))),
        ("handshake", (dict, type(None))),
        ("libraries", (dict, type(None))),
    )
    for key, kinds in shapes:
        if not isinstance(outcome.get(key), kinds) or isinstance(outcome.get(key), bool):
            return "its answer has a malformed %r" % key
    roots = outcome.get("roots") or {}
    if not roots.get("error") and not all(type(roots.get(k, 0)) is int for k in ("tried", "trusted")):
        return "its answer has malformed root counts"
    items = (outcome.get("libraries") or {}).get("items", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("path"), str) for i in items):
        return "its answer has a malformed library list"
    return None


def _not_reproduced(outcome: dict[str, Any], reproduced: list[str]) -> str | None:
    """Why the trial did not start where the subject is (its ssl ran another libcrypto), or None."""
    if not reproduced:
        return None
    in_use = [i["path"] for i in (outcome.get("libraries") or {}).get("items", []) if i.get("in_use")]
    if in_use and os.path.realpath(in_use[0]) == os.path.realpath(reproduced[0]):
        return None
    return "could not reproduce the process: its ssl runs %s, the trial's ran %s" % (
        reproduced[0],
        in_use[0] if in_use else "no OpenSSL",
    )


def _broken_imports(outcome: dict[str, Any]) -> list[str]:
    """The program's own modules that no longer import with the fix (a child's answer: checked, bounded)."""
    imports = outcome.get("imports")
    if not isinstance(imports, dict):
        return []
    return ["%s (%s)" % (name, str(error)[:300]) for name, error in list(imports.items())[:20] if error]


def _judge(
    fix: Fix, outcome: dict[str, Any] | None, problem: str | None, before: int, fresh: str, reproduced: list[str]
) -> Fix:
    """Turn a trial's outcome into verified and its evidence; an unusable answer leaves the fix untried."""
    if outcome is None:
        return replace(fix, verified=None, evidence="the trial could not run: %s" % problem)
    if reproduced and outcome.get("preloaded") != reproduced:
        return replace(fix, verified=None, evidence="not shown: could not reproduce the process: %s" % outcome["error"])
    if outcome.get("error"):
        return replace(fix, verified=False, evidence="in a fresh %s: %s" % (fresh, outcome["error"]))
    broken = _broken_imports(outcome)
    if broken:
        evidence = "in a fresh %s with this change, the program's own modules no longer import: %s"
        return replace(fix, verified=False, evidence=evidence % (fresh, "; ".join(broken)))
    elsewhere = _not_reproduced(outcome, reproduced)
    if elsewhere:
        return replace(fix, verified=None, evidence="not shown: %s" % elsewhere)
    loaded = outcome.get("loaded")
    if loaded is None:  # truststore's context: it loads nothing up front, the OS store answers each handshake
        parts = ["in a fresh %s the default context is truststore's (injected at start)" % fresh]
        ok = True
    else:
        parts = ["in a fresh %s the context loaded %d CA certificates (before: %d)" % (fresh, loaded, before)]
        ok = loaded > 0
    roots = outcome.get("roots")
    if roots:
        if roots.get("error"):
            parts.append("root check unavailable: %s" % roots["error"])
        else:
            parts.append("%d of %d sample roots verified" % (roots["trusted"], roots["tried"]))
            ok = roots["tried"] > 0 and roots["trusted"] == roots["tried"]
    shake = outcome.get("handshake")
    said = parts[-1]  # what speaks for the clients it is for: the handshake, else what loaded
    if shake is not None and fix.trial_host is not None:
        target = fix.trial_host.target
        if shake.get("ok") is True:
            said = "a real handshake to %s succeeded (%s)" % (target, shake.get("protocol"))
        else:
            said = "a real handshake to %s failed: %s" % (target, shake.get("error"))
        parts.append(said)
        ok = shake.get("ok") is True
    in_use = [lib for lib in (outcome.get("libraries") or {}).get("items", []) if lib.get("in_use")]
    if in_use:
        parts.append("ssl used %s (OPENSSLDIR %s)" % (in_use[0]["path"], in_use[0].get("openssldir")))
    # the clients it is for trust exactly the default context (else the libraries are asked): its handshake speaks
    trials = tuple(ClientTrial(name, ok, "the default context's handshake", said[:300]) for name in fix.clients)
    return replace(fix, verified=ok, evidence="; ".join(parts), trials=trials)


def _decoded(
    result: tuple[int, bytes, bytes] | str, problem_of: Callable[[Any], str | None]
) -> tuple[dict[str, Any] | None, str | None]:
    """A finished trial's outcome (its status and output, read within bounded time and size), or why it gave none."""
    if isinstance(result, str):
        return None, result
    status, out, err = result
    try:
        outcome = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:]
        if status:
            return None, "it exited with status %d%s" % (status, ": " + tail[0][:300] if tail else "")
        return None, "it printed %s" % ("no JSON (%d bytes)" % len(out) if out.strip() else "nothing")
    problem = problem_of(outcome)
    return (None, problem) if problem else (outcome, None)


ELSEWHERE = (
    "not tried: a check with --host tries the fixes for its hosts and for the trust its default context used; "
    "without --host, this one too"
)


def _triable(fix: Fix, facts: Facts) -> bool:
    """Whether a trial can apply the fix: a command changes the system, and code a trial cannot run is not tried."""
    if fix.kind == "command":  # a rehash, on a hashed copy of its folder for the clients a setting points there
        return fix.rehash is not None and bool(fix.clients) and fix.trial_host is not None
    if fix.kind == "server" or (fix.kind == "env" and fix.env is None):
        return False
    if fix.kind == "config":  # on an edited copy of the file, named by the variable the client reads it from
        return fix.edit is not None and fix.edit.triable and bool(fix.clients)
    if fix.kind == "code" and fix.inject:
        return bool(stand_ins(fix, facts))  # the trial injects first thing, as the fix says to
    return fix.kind != "code" or bool(fix.cafile or fix.capath or fix.add_cafile)


def _verdict(trials: list[ClientTrial], kept: list[bool]) -> bool | None:
    """A fix works when every client it is for was shown to work and no client it touches failed.

    A client whose library does not import in the examined interpreter is no client there: it is left out. One
    that was not tried, or whose answer proved nothing, leaves the fix not fully tried: None, never True.
    """
    present = [t for t in trials if not t.absent]
    if any(t.verified is False for t in present) or False in kept:
        return False
    return True if present and all(t.verified for t in present) else None


def _tried_words(trials: list[ClientTrial]) -> str:
    """Which clients were shown to work and which were not tried, when a fix was only partly tried."""
    proven = [t.client for t in trials if t.verified]
    untried = [t.client for t in trials if t.verified is None and not t.absent]
    if not untried or not proven:
        return ""
    return "partly tried: shown to work for %s; not shown for %s; " % (", ".join(proven), ", ".join(untried))


def _judge_stores(fix: Fix, answer: dict[str, Any], fresh: str) -> Fix:
    """Without a host, a fix works for a client when the store it then resolves holds every root it lacked."""
    from cadoctor._facts.child.client_trial import ROUTES

    results = answer.get("stores") or {}
    trials: list[ClientTrial] = []
    for name in fix.clients:
        if name not in ROUTES or name == "uv":  # a program's store is not a library's to resolve
            trials.append(ClientTrial(name, None, None, "not asked: no library resolves its store"))
            continue
        result = results.get(name) or {"error": "no answer for it", "trusted": 0, "tried": 0, "store": None}
        if result["error"]:
            trials.append(ClientTrial(name, False, name, str(result["error"])[:300]))
            continue
        # with roots to hold, each must be in it; without (a value it could not use), loading its store is enough
        held = 0 < result["tried"] == result["trusted"] or not fix.trial_samples
        tried = result["tried"]
        detail = "uses %s, which trusts %d of the %d root%s it must hold" % (
            result["store"],
            result["trusted"],
            tried,
            "" if tried == 1 else "s",
        )
        trials.append(ClientTrial(name, held, name, detail))
    if not any(t.through for t in trials):
        return replace(fix, verified=None, evidence="not tried: cadoctor cannot ask %s" % ", ".join(fix.clients))
    # "requests uses <file>, which trusts ...": a sentence per client; an error or "not asked" after a colon
    parts = ["%s%s%s" % (t.client, " " if t.detail.startswith("uses ") else ": ", t.detail) for t in trials]
    ok = _verdict(trials, [])
    evidence = "in a fresh %s: %s%s" % (fresh, _tried_words(trials), "; ".join(parts))
    return replace(fix, verified=ok, evidence=evidence, trials=tuple(trials))


def _judge_through(fix: Fix, facts: Facts, answer: dict[str, Any] | None, problem: str | None, fresh: str) -> Fix:
    """A fix works when every client it is for completed a request to the host with it applied, breaking none."""
    if answer is None:
        return replace(fix, verified=None, evidence="the trial could not run: %s" % problem)
    if answer["error"]:
        return replace(fix, verified=None, evidence="not tried: %s" % answer["error"])
    if fix.trial_host is None:
        return _judge_stores(fix, answer, fresh)
    target = fix.trial_host.target if fix.trial_host else "the host"
    results = answer["clients"]
    parts, kept, guarded = [], [], []
    trials: dict[str, ClientTrial] = {}
    for name, members in stand_ins(fix, facts).items():
        result = results.get(name) or {"ok": None, "detail": "no answer for it", "via": name}
        word = {True: "succeeded", False: "failed", None: "proved nothing"}[result["ok"]]
        line = "%s (through %s) %s: %s" % (name, result["via"], word, result["detail"])
        if len(members) > 1:
            line += " (and so %s, which %s the same)" % (
                ", ".join(members[1:]),
                "trust" if name == DEFAULT_CONTEXT else "call",
            )
        for member in members:
            if member in fix.clients:
                via = result["via"] if member == name else "%s (as %s)" % (result["via"], name)
                absent = bool(result.get("absent"))  # its library (or the one it calls) does not import here
                trials[member] = ClientTrial(member, result["ok"], via, str(result["detail"])[:300], absent)
        if any(member in fix.clients for member in members):
            parts.append(line)
        else:  # clients that worked before and read what the fix changes: they must still work
            kept.append(result["ok"] is not False)
            guarded.append(line)
    for name in fix.clients:
        if name not in trials:
            trials[name] = ClientTrial(name, None, None, "no request is made through it: no library of it to call")
    unrouted = [name for name, t in trials.items() if t.through is None]
    if unrouted:
        parts.append("no request is made through %s" % ", ".join(unrouted))
    if guarded:
        parts.append("it must leave working what worked: " + "; ".join(guarded))
    ordered = [trials[name] for name in fix.clients]
    ok = _verdict(ordered, kept)
    lead = "in a fresh %s%s, a real request to %s" % (fresh, " with truststore injected" if fix.inject else "", target)
    evidence = "%s: %s%s" % (lead, _tried_words(ordered), "; ".join(parts))
    return replace(fix, verified=ok, evidence=evidence, trials=tuple(ordered))


def verify(
    fixes: tuple[Fix, ...],
    facts: Facts,
    executable: str = sys.executable,
    environment: Mapping[str, str] | None = None,
    host_timeout: float = 10.0,
    focus: frozenset[str] | None = None,
    cache: bool = True,
    identity: Identity | None = None,
) -> tuple[Fix, ...]:
    """Run every triable fix in children of a proven interpreter, side by side, and record what each showed.

    `focus`: the finding codes a check asked about hosts needs answered; only their fixes (and those tried
    against a host) are tried. Another finding's trial may ask each of its client libraries in a fresh child,
    which costs several times the check. `cache`: a trial's answer (each library's, apart) may be the one an earlier
    check kept, when nothing it followed from has changed (`_facts/interpreters/kept.py`; with a host, the same
    chain and answer from it, every certificate still valid: `kept_trials`), and the answers found anew are kept.
    `identity`: the client certificate and key (absolute paths) every request to a host presents.
    """
    triable = [i for i, fix in enumerate(fixes) if _triable(fix, facts)]
    if focus is not None:
        waiting = {i for i in triable if fixes[i].trial_host is None and not focus.intersection(fixes[i].addresses)}
        fixes = tuple(replace(f, evidence=ELSEWHERE) if i in waiting else f for i, f in enumerate(fixes))
        triable = [i for i in triable if i not in waiting]
    if not triable:
        return fixes
    from cadoctor._facts.interpreters.proof import NotProven, prove_python

    try:  # even this process's own sys.executable: embedded in uwsgi or a frozen app, it is no interpreter
        proven = prove_python(executable, environment)
    except NotProven as exc:
        obstacle = "not tried: cadoctor runs only a proven Python interpreter, and %s is %s" % (executable, exc)
        return tuple(replace(f, evidence=obstacle) if i in triable else f for i, f in enumerate(fixes))

    fresh = "interpreter" if executable == sys.executable else executable  # name another interpreter
    base = dict(os.environ if environment is None else environment)
    import tempfile  # only when a fix is tried: a healthy check never needs it

    with tempfile.TemporaryDirectory(prefix="cadoctor-trial-") as scratch:
        return _run(fixes, facts, triable, proven, fresh, base, scratch, (host_timeout, cache, identity))


def joined_env(fix: Fix, scratch: str, index: int) -> Mapping[str, str | None] | None:
    """The fix's environment, with the joined file its lines write built in `scratch` (the bytes they write).

    Every path a joining fix names is the joined file; a switch it turns on keeps its value. A part that names a
    hashed folder's files for one subject hash is expanded as the shell expands it.
    """
    if not fix.merge or not fix.env:
        return fix.env
    import glob

    from cadoctor._fixes.bundles import hashed_files

    path = os.path.join(scratch, "merged-%d.pem" % index)
    parts = []
    for part in fix.merge:
        if hashed_files(part):  # for f in DIR/HASH.[0-9]*; do cat "$f"; echo; done
            pattern = os.path.join(glob.escape(os.path.dirname(part)), os.path.basename(part))
            parts.append(b"".join(_read_part(name) + b"\n" for name in sorted(glob.glob(pattern))))
        else:
            parts.append(_read_part(part))
    with open(path, "wb") as out:
        out.write(b"\n".join(parts))  # byte for byte what the fix's lines write: (cat A; echo; cat B)
    return {name: path if value and os.path.isabs(value) else value for name, value in fix.env.items()}


def _read_part(path: str) -> bytes:
    """One part of a joined file, read as `cat` reads it, but never from a FIFO or a device (it could block)."""
    import stat

    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(descriptor, "rb") as source:
        if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
            raise OSError("%s is not a regular file" % path)
        return source.read(64 << 20)


def _presented(identity: Identity | None, scratch: str) -> list[str | None] | None:
    """The client certificate as the trials' requests present it: certificate, key, and one file holding both.

    pip's --client-cert and uv's SSL_CLIENT_CERT take one PEM with the key and the certificate: a key given apart
    is joined with it here, in the trials' private scratch folder, which goes when they end, however they end.
    """
    if identity is None:
        return None
    cert, key = identity
    if key is None:
        return [cert, None, cert]
    joined = os.path.join(scratch, "client-identity.pem")
    try:
        both = _read_part(key).rstrip(b"\n") + b"\n" + _read_part(cert)
        descriptor = os.open(joined, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(both)
    except OSError:  # gone since the check loaded it: pip and uv then say they could not be handed both
        return [cert, key, None]
    return [cert, key, joined]


def _working_directory(facts: Facts) -> str:
    """Where a trial runs: the examined process's working directory, from which its relative CA paths are read."""
    cwd = facts.runtime.cwd
    return cwd if cwd is not None and os.path.isdir(cwd) else "/"


def _run(
    fixes: tuple[Fix, ...],
    facts: Facts,
    triable: list[int],
    proven: ProvenPython,
    fresh: str,
    base: dict[str, str],
    scratch: str,
    how: tuple[float, bool, Identity | None],
) -> tuple[Fix, ...]:
    """Run every trial's children, as many at once as there are CPUs, then judge each fix by its answers.

    `scratch` holds the files the trials read. The heaviest children start first; a trial through the client
    libraries may take several children (one per library it asks), whose answers are joined before it is judged.
    A child whose answer was kept is not started (with `cache`): a store trial's, a fix trial's without a host, or
    a request trial's that may be kept at all (`kept_trials`); one that runs tells what its answer follows from, and
    the answer is kept.
    `how`: the host's time limit, whether kept answers serve, the identity.
    """
    import time

    from cadoctor._errors import InterpreterError
    from cadoctor._facts.interpreters import kept
    from cadoctor._facts.interpreters.run import run_all, workers
    from cadoctor._fixes import kept_trials

    host_timeout, cache, identity = how
    presented = _presented(identity, scratch)
    notes: dict[int, str] = {}  # what a trial changed besides the fix's own lines (a folder's hashed copy)
    answers: dict[int, list[Answer]] = {}
    kept_through: dict[int, list[str]] = {}  # the clients whose requests an earlier check's answer speaks for
    seen: dict[str, Any] = {}  # each path's identity, asked once for every kept answer this check recalls
    # cost, fix, payload, env, limit, and the answers to keep: their name, question, clients (none: the whole)
    planned: list[tuple[int, int, bytes, dict[str, str], float, list[tuple[str, dict[str, Any], list[str]]]]] = []
    cwd = _working_directory(facts)
    for index in triable:
        fix = fixes[index]
        env = _child_env(base, joined_env(fix, scratch, index))
        if fix.edit is not None:
            env[fix.edit.variable] = edited_copy(fix.edit, scratch, index)
        try:
            if fix.rehash is not None:
                copy, notes[index] = rehashed_env(fix.rehash, facts, scratch, index)
                env.update(copy)
        except (InterpreterError, OSError) as exc:
            answers[index] = [(None, str(exc))]
            continue
        if not asks_libraries(fix, facts):  # kept without a host: with one, it makes a handshake
            request = _request(fix, facts, host_timeout, identity)
            name = kept_trials.name_for(request, fix, proven, env, cwd, scratch) if cache else None
            known = kept.recall(name, seen) if name is not None else None
            if known is not None and _answer_problem(known) is None:
                answers[index] = [(known, None)]
                continue
            payload = json.dumps({**request, "depends": True} if name else request).encode()
            planned.append((1, index, payload, env, TRIAL_TIMEOUT, [(name, request, [])] if name else []))
            continue
        left: dict[str, list[str]] = {}  # the routes no kept answer serves: asked in this check's children
        kept_as: dict[str, tuple[str, dict[str, Any]]] = {}  # route: the name its answer is kept under, the question
        for route, clients in route_groups(fix, facts).items():
            request = route_request(clients, fix, host_timeout, presented)
            name = kept_trials.name_for(request, fix, proven, env, cwd, scratch) if cache else None
            known = kept.recall(name, seen) if name is not None else None
            if known is not None and through_problem(known) is None:
                answers.setdefault(index, []).append((known, None))
                if "host" in request:
                    kept_through.setdefault(index, []).extend(clients)
                continue
            left[route] = clients
            if name is not None:
                kept_as[route] = (name, request)
        for weight, request, limit in library_requests(fix, facts, host_timeout, workers(), presented, left):
            inside = set(request["clients"])  # a route's clients share one child
            parts = [(*kept_as[r], left[r]) for r in left if r in kept_as and inside.issuperset(left[r])]
            payload = json.dumps({**request, "depends": True} if parts else request).encode()
            planned.append((weight, index, payload, env, limit, parts))
    for index, names in kept_through.items():
        said = KEPT_REQUESTS % ", ".join(names)
        notes[index] = "%s; %s" % (notes[index], said) if index in notes else said
    planned.sort(key=lambda item: -item[0])  # the heaviest first: the slowest child starts as early as it can
    started = time.time()
    finished = run_all(proven, [jobs.FOLDER], [(p[2], p[3], cwd, p[4]) for p in planned], TRIAL_OUTPUT_LIMIT)
    for (_, index, _, _, _, parts), result in zip(planned, finished):
        answer = _decoded(result, through_problem if asks_libraries(fixes[index], facts) else _answer_problem)
        answers.setdefault(index, []).append(answer)
        given = answer[0]
        if given is not None and not given["error"]:
            for name, asked, clients in parts:  # a fix trial's answer is kept whole (it names no clients)
                whole = answer_for(given, clients) if clients else given
                kept_trials.keep(name, asked, fixes[index], facts, whole, started, scratch)
    return tuple(_judged(fixes, facts, answers, notes, fresh))


def _judged(
    fixes: tuple[Fix, ...], facts: Facts, answers: dict[int, list[Answer]], notes: dict[int, str], fresh: str
) -> list[Fix]:
    """Every fix judged by its children's answers (a fix not tried stays as it was)."""
    results = list(fixes)
    for index, given in answers.items():
        fix = fixes[index]
        if asks_libraries(fix, facts):
            answer, problem = joined(given)
            results[index] = _judge_through(fix, facts, answer, problem, fresh)
        else:
            outcome, problem = given[0]
            before = facts.runtime.context_loaded
            results[index] = _judge(fix, outcome, problem, before, fresh, reproduction(fix, facts))
        if index in notes:
            results[index] = replace(results[index], evidence="%s: %s" % (notes[index], results[index].evidence))
    return results


def trial_obstacle(facts: Facts) -> str | None:
    """Why fixes for this subject cannot be tried in a fresh copy of it here, or None when they can."""
    subject = facts.subject
    if subject is None or subject.kind == "interpreter":
        return None
    if subject.root is not None:
        return "not tried: nothing from another root is run here"
    if not subject.python:
        return "not tried: the trial runs a Python interpreter and this is %s" % (subject.executable or "no Python")
    if subject.uid is not None and hasattr(os, "geteuid") and subject.uid != os.geteuid():
        return "not tried: the process runs as %s, and cadoctor runs no one else's interpreter" % subject.user
    return None
