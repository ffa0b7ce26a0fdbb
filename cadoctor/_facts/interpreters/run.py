"""Run the child in another interpreter (`check --python`, fix trials) with bounded time and output.

The command line imports this module for its error type on every run: the process machinery loads on use.
"""

from __future__ import annotations

import os

from cadoctor._errors import InterpreterError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Mapping, Sequence
    from typing import Any

    from cadoctor._facts.interpreters.proof import ProvenPython

    # what one child is given: its payload on stdin, its environment, its working directory, its time limit
    Job = tuple[bytes, Mapping[str, str] | None, str | None, float]

PROBE_TIMEOUT = 30.0  # seconds for another interpreter to start and answer


OUTPUT_LIMIT = 16 << 20  # bytes of output accepted from it: the probe's answer is a few kilobytes


_STDERR_KEPT = 4096


def _explain_failure(path: str, status: int | None, stderr: bytes) -> str:
    """Say in one line why the interpreter gave no facts."""
    text = stderr.decode("utf-8", "replace").strip()
    last = text.splitlines()[-1] if text else ""
    if status is not None and status < 0:
        return "%s was killed by signal %d%s" % (path, -status, ": " + last if last else "")
    if last:
        return "%s failed (exit status %s): %s" % (path, status, last[:300])
    return "%s exited with status %s and printed no facts" % (path, status)


def _size(limit: int) -> str:
    """A byte count in the unit people read."""
    return "%d MiB" % (limit >> 20) if limit >= 1 << 20 else "%d KiB" % (limit >> 10)


def exchange(
    child: subprocess.Popen[bytes],
    payload: bytes,
    timeout: float,
    limit: int = OUTPUT_LIMIT,
    since: float | None = None,
) -> tuple[bytes, bytes]:
    """Send `payload` to a child and read its stdout and the tail of its stderr, within time and size limits.

    A child that reads nothing, writes without end or never closes its output cannot block or flood cadoctor:
    every pipe goes through one selector with one deadline (raises InterpreterError). The `timeout` counts from
    `since` (a time.monotonic() reading: when the child started, for children that run side by side), else now.
    """
    import selectors
    import time

    deadline = (time.monotonic() if since is None else since) + timeout
    out, err = bytearray(), bytearray()
    pending = memoryview(payload)
    with selectors.DefaultSelector() as selector:
        if child.stdin is not None:
            if pending:
                os.set_blocking(child.stdin.fileno(), False)
                selector.register(child.stdin, selectors.EVENT_WRITE)
            else:
                child.stdin.close()
        for stream, sink in ((child.stdout, out), (child.stderr, err)):
            if stream is not None:
                selector.register(stream, selectors.EVENT_READ, sink)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise InterpreterError("no answer within %.0f s" % timeout)
            for key, _ in selector.select(left):
                if key.fileobj is child.stdin:
                    try:
                        pending = pending[os.write(key.fd, pending[:65536]) :]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # it stopped reading: what it printed tells the rest
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(key.fileobj)
                        child.stdin.close()
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if key.data is err and len(err) > _STDERR_KEPT:
                    del err[: len(err) - _STDERR_KEPT]
                if len(out) > limit:
                    raise InterpreterError("more than %s of output: not the probe's answer" % _size(limit))
    return bytes(out), bytes(err)


def spawn(
    python: ProvenPython, args: list[str], *, env: Mapping[str, str] | None = None, cwd: str | None = None
) -> subprocess.Popen[bytes]:
    """Start a proven interpreter (the only program cadoctor runs) with every stream piped.

    Raises InterpreterError when it cannot start.
    """
    import subprocess

    try:
        child = subprocess.Popen(
            [python.path, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=None if env is None else dict(env),
            cwd=cwd,
        )
    except OSError as exc:
        raise InterpreterError(exc.strerror or str(exc)) from None
    _RUNNING.add(child)
    return child


_RUNNING: set[Any] = set()  # children started and not yet reaped: a check stopped by a signal takes them along


def stop_all() -> None:
    """Kill every child still running: a check stopped by a signal (`_cli/main.py`) leaves none behind.

    A trial's child may hang (a sitecustomize that never returns); its own time limit is kept by this process, so
    without this it would outlive a check stopped by SIGTERM, SIGHUP or Ctrl-C. It is not reaped here: the process
    ends next, and init takes it.
    """
    for child in list(_RUNNING):
        try:
            child.kill()
        except OSError:
            continue


def finish(
    child: subprocess.Popen[bytes],
    payload: bytes,
    timeout: float,
    limit: int = OUTPUT_LIMIT,
    since: float | None = None,
) -> tuple[int, bytes, bytes]:
    """Talk to a started child within the limits: its exit status, stdout and stderr's tail.

    The child is killed when it overruns; raises InterpreterError with the reason it gave no usable answer.
    `since`: as for `exchange`. One limit covers all: a child that closed its output late is given what is left of
    it to exit (a second at least: a library's shutdown may take some), not the whole limit again.
    """
    import subprocess
    import time

    start = time.monotonic() if since is None else since
    try:
        out, err = exchange(child, payload, timeout, limit, start)
        status = child.wait(timeout=max(1.0, start + timeout - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise InterpreterError("closed its output but did not exit within %.0f s" % timeout) from None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        _RUNNING.discard(child)
        for stream in (child.stdin, child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    return status, out, err


def workers() -> int:
    """How many children may run at once: one per CPU this process may run on that others leave idle.

    Side by side, children pay their start and the imports they share once each; that pays back only on CPUs
    nothing else wants. The last minute's load beyond this check's own (one running process) tells how many
    are taken: a busy machine runs the trials one after the other, an idle one as many at once as it has CPUs.
    `CADOCTOR_TRIAL_WORKERS=N` says how many instead (still at most one per CPU).
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    named = os.environ.get("CADOCTOR_TRIAL_WORKERS", "")
    if named.isdigit() and int(named) > 0:
        return min(cpus, int(named))
    try:
        busy = max(0.0, os.getloadavg()[0] - 1.0)
    except (AttributeError, OSError):  # no load average here: every CPU counts
        busy = 0.0
    return max(1, min(cpus, int(cpus - busy + 0.5)))


def run_all(
    python: ProvenPython, args: list[str], jobs: Sequence[Job], limit: int = OUTPUT_LIMIT
) -> list[tuple[int, bytes, bytes] | str]:
    """Run each job in a child of its own, at most `workers()` at once, started in the order given.

    Each child gets its own payload, environment, working directory and time limit, as `finish` gives them; the
    answer for each job is its exit status, stdout and stderr's tail, or why it gave none. Every limit counts from
    this call, as if all had started at once: children that hang cost one wait, not one each in turn (a job whose
    time is up before a CPU is free is not started). No child outlives this call: `finish` kills the one that
    overruns.
    """
    import time

    began = time.monotonic()

    def one(job: Job) -> tuple[int, bytes, bytes] | str:
        payload, env, cwd, timeout = job
        if time.monotonic() >= began + timeout:
            return "no answer within %.0f s" % timeout
        try:
            return finish(spawn(python, args, env=env, cwd=cwd), payload, timeout, limit, began)
        except InterpreterError as exc:
            return str(exc)

    count = min(workers(), len(jobs))
    if count <= 1:
        return [one(job) for job in jobs]
    from concurrent.futures import ThreadPoolExecutor  # the children run in parallel; each thread only waits

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, jobs))


def handshake_in(
    path: str, host: str, port: int, timeout: float, identity: tuple[str, str | None] | None = None
) -> dict[str, Any]:
    """One default-context handshake made by another (proven) interpreter, with its own OpenSSL and trust path.

    With `identity`, it presents that client certificate (and key), as `--client-cert` asks.

    The child's fix trial does it, in cadoctor's working directory as the probe is (a relative CA path is read
    from there, as that interpreter's programs run here read it); the outcome is its handshake record (stage,
    error, chain, ...), or a record saying why that interpreter could not make one.
    """
    import json

    from cadoctor._facts.child import jobs
    from cadoctor._facts.interpreters.proof import NotProven, prove_python

    failed: dict[str, Any] = {"ok": False, "stage": "context", "error": None, "chain": []}
    try:
        proven = prove_python(path)
    except NotProven as exc:
        return {**failed, "error": "not tried: %s is %s" % (path, exc)}
    target: dict[str, Any] = {"host": host, "port": port, "server_name": host, "timeout": timeout}
    if identity is not None:
        target["client_cert"], target["client_key"] = identity
    request = {"job": jobs.FIX_TRIAL, "host": target}
    try:
        child = spawn(proven, [jobs.FOLDER])
        _, out, _ = finish(child, json.dumps(request).encode(), timeout + PROBE_TIMEOUT)
        answer = json.loads(out.decode("utf-8"))
    except (InterpreterError, UnicodeDecodeError, ValueError) as exc:
        return {**failed, "error": "not tried: %s could not make the handshake: %s" % (path, exc)}
    if not jobs.is_answer(answer, jobs.FIX_TRIAL):
        return {**failed, "error": "not tried: %s answered, but not with the probe's outcome" % path}
    shake = answer.get("handshake")
    if not isinstance(shake, dict):
        return {**failed, "error": "not tried: %s" % (answer.get("error") or "that interpreter made no handshake")}
    return shake


def _blocked_at_start() -> str:
    """Why an interpreter may hang before the probe runs: a CA variable naming a FIFO or a device.

    A startup hook (a `.pth` file such as pip-system-certs' injector) that builds a context at start opens what
    SSL_CERT_FILE or SSL_CERT_DIR names before any code of cadoctor runs there; OpenSSL then waits on a FIFO
    without a writer for ever, and so does every program of that environment.
    """
    import os
    import stat

    from cadoctor._variables import CA_VARIABLES

    blocking = []
    for name in CA_VARIABLES:
        value = os.environ.get(name)
        try:
            mode = os.stat(value).st_mode if value else None
        except (OSError, ValueError):
            continue
        if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            blocking.append("%s=%s" % (name, value))
    if not blocking:
        return ""
    return (
        "; %s names a FIFO or a device, which that interpreter may open at start (a startup hook that builds a "
        "TLS context, such as pip-system-certs): every program it runs would hang the same way" % ", ".join(blocking)
    )


def probe_interpreter(path: str, timeout: float = PROBE_TIMEOUT) -> dict[str, Any]:
    """The child's facts of another interpreter, as it sees itself in this environment and working directory.

    Only an interpreter proven from its files is run (raises InterpreterError with the reason otherwise).
    """
    import json

    from cadoctor._facts.child import jobs
    from cadoctor._facts.interpreters.proof import NotProven, prove_python
    from cadoctor._variables import for_child

    try:
        proven = prove_python(path)
    except NotProven as exc:
        raise InterpreterError("%s: %s" % (path or "''", exc)) from None
    if proven.version < (3, 8):
        raise InterpreterError("%s is Python %d.%d; the probe needs Python 3.8 or later" % (path, *proven.version))
    request = json.dumps({"job": jobs.FACTS, "variables": for_child()}).encode()
    try:
        status, out, err = finish(spawn(proven, [jobs.FOLDER]), request, timeout)
    except InterpreterError as exc:
        raise InterpreterError("%s: %s%s" % (path, exc, _blocked_at_start())) from None
    try:
        facts = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InterpreterError(_explain_failure(path, status, err)) from None
    if not jobs.is_answer(facts, jobs.FACTS):
        raise InterpreterError("%s answered, but not with the probe's facts" % path)
    return facts
