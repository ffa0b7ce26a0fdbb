"""Run the runtime probe in another interpreter (`check --python`) with bounded time and output.

The command line imports this module for its error type on every run: the process machinery loads on use.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

PROBE_TIMEOUT = 30.0  # seconds for another interpreter to start and answer
OUTPUT_LIMIT = 16 << 20  # bytes of output accepted from it: the probe's answer is a few kilobytes
_STDERR_KEPT = 4096


class InterpreterError(Exception):
    """Another interpreter could not be probed: missing, not runnable, too old, silent or babbling."""


def _explain_failure(path: str, status: int | None, stderr: bytes) -> str:
    """Say in one line why the interpreter gave no facts."""
    text = stderr.decode("utf-8", "replace").strip()
    if "SyntaxError" in text or "future feature annotations" in text:
        version = _version_of(path)
        if version is not None and version < (3, 8):
            return "%s is Python %d.%d; the probe needs Python 3.8 or later" % (path, *version)
    last = text.splitlines()[-1] if text else ""
    if status is not None and status < 0:
        return "%s was killed by signal %d%s" % (path, -status, ": " + last if last else "")
    if last:
        return "%s failed (exit status %s): %s" % (path, status, last[:300])
    return "%s exited with status %s and printed no facts: is it a Python interpreter?" % (path, status)


def _version_of(path: str) -> tuple[int, int] | None:
    """The major and minor version of an interpreter too old for the probe (Python 2 included)."""
    import subprocess

    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
            capture_output=True,
            timeout=10,
            check=False,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def _bounded_output(stdout: IO[bytes], stderr: IO[bytes], timeout: float) -> tuple[bytes, bytes]:
    """Read stdout and the tail of stderr until the child closes them, within the time and size limits."""
    import selectors
    import time

    deadline = time.monotonic() + timeout
    out, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ, out)
        selector.register(stderr, selectors.EVENT_READ, err)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise InterpreterError("no answer within %.0f s" % timeout)
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if key.data is err and len(err) > _STDERR_KEPT:
                    del err[: len(err) - _STDERR_KEPT]
                if len(out) > OUTPUT_LIMIT:
                    raise InterpreterError("more than %d MiB of output: not the probe's answer" % (OUTPUT_LIMIT >> 20))
    return bytes(out), bytes(err)


def probe_interpreter(path: str, timeout: float = PROBE_TIMEOUT) -> dict[str, Any]:
    """The runtime probe's facts as another interpreter sees them, in this environment and working directory."""
    import json
    import subprocess

    from cadoctor import _probe

    if not path:
        raise InterpreterError("an empty path: name an interpreter")
    if os.path.isdir(path):
        raise InterpreterError("%s is a directory, not an interpreter" % path)
    try:
        child = subprocess.Popen(
            [path, os.path.abspath(_probe.__file__)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise InterpreterError("%s: %s" % (path, exc.strerror or exc)) from None
    try:
        if child.stdout is None or child.stderr is None:
            raise InterpreterError("no pipes to read")
        out, err = _bounded_output(child.stdout, child.stderr, timeout)
        status = child.wait(timeout=max(0.1, timeout))
    except InterpreterError as exc:
        raise InterpreterError("%s: %s" % (path, exc)) from None
    except subprocess.TimeoutExpired:
        raise InterpreterError("%s: closed its output but did not exit within %.0f s" % (path, timeout)) from None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    try:
        facts = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InterpreterError(_explain_failure(path, status, err)) from None
    if not isinstance(facts, dict) or facts.get("probe_version") != _probe.PROBE_VERSION:
        raise InterpreterError("%s answered, but not with the probe's facts" % path)
    return facts
