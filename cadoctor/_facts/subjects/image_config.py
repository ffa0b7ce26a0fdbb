"""An image's environment as its build left it: the `ENV` an exported file system does not carry.

`docker export` and an unpacked layer hold files only; the variables the image's programs start with (`PATH`,
which puts an app's venv first, and the CA variables) live in the image's configuration. Two forms are read:

- an OCI or Docker image config: `config.json` of an OCI layout or `docker save` (`{"config": {"Env": [...]}}`),
  or what `docker inspect IMAGE` prints (`[{"Config": {"Env": [...]}}]`);
- a Dockerfile: the `ENV` instructions of its last stage, in order, each value expanded (`$VAR`, `${VAR}`) with
  what the stage set before it. The base image's own variables are not in a Dockerfile: a stage starts from the
  default PATH that Docker gives Linux images, which is what most base images keep.

The reader takes foreign bytes: it fails only with `ImageConfigError`, in time linear in its input, and reads at
most `LIMIT` bytes of a regular file (a FIFO or a device is refused, never opened for a blocking read).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat

LIMIT = 4 << 20  # a Dockerfile or an image config is a few kilobytes; docker inspect of a large image, tens
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # Docker's default for Linux images
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class ImageConfigError(ValueError):
    """The image config or Dockerfile given cannot be read as one: a usage error, said in one line."""


def read_image_config(path: str) -> dict[str, str]:
    """The environment an image's programs start with, from its config (JSON) or its Dockerfile."""
    text = _read(path)
    if text.lstrip().startswith(("{", "[")):
        return _from_json(path, text)
    return _from_dockerfile(path, text)


def _read(path: str) -> str:
    """The file's text: a regular file of at most LIMIT bytes, UTF-8."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ImageConfigError("cannot read %s: %s" % (path, exc.strerror or exc)) from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ImageConfigError("%s is not a regular file" % path)
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(LIMIT + 1)
    if len(data) > LIMIT:
        raise ImageConfigError("%s is larger than %d MiB: not an image config or a Dockerfile" % (path, LIMIT >> 20))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImageConfigError("%s is not UTF-8 text: not an image config or a Dockerfile" % path) from None


def _from_json(path: str, text: str) -> dict[str, str]:
    """`Env` of an OCI/Docker image config, or of the first image `docker inspect` describes."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ImageConfigError("%s is not valid JSON: %s" % (path, exc)) from None
    if isinstance(document, list) and document and isinstance(document[0], dict):
        document = document[0]
    config = None
    if isinstance(document, dict):
        config = document.get("config") or document.get("Config")
    entries = config.get("Env") if isinstance(config, dict) else None
    if entries is None:
        if isinstance(config, dict):
            return {}  # an image that sets no variable
        raise ImageConfigError("%s holds no image config (no `config` or `Config` object)" % path)
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ImageConfigError("%s: `Env` is not a list of NAME=value strings" % path)
    found: dict[str, str] = {}
    for entry in entries:
        name, sign, value = entry.partition("=")
        if sign and _NAME.fullmatch(name):
            found[name] = value
    return found


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, its arguments) in order: comments dropped, lines ending in a backslash joined."""
    found: list[tuple[str, str]] = []
    pending: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction is dropped, as Docker's parser does
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        joined = " ".join(part for part in pending if part)
        pending = []
        keyword, _, arguments = joined.partition(" ")
        found.append((keyword.upper(), arguments.strip()))
    return found


def _expanded(value: str, environment: dict[str, str]) -> str:
    """`$VAR` and `${VAR}` replaced by what the stage set so far (unknown: empty, as the shell would)."""
    return _REFERENCE.sub(lambda m: environment.get(m.group(1) or m.group(2), ""), value)


def _from_dockerfile(path: str, text: str) -> dict[str, str]:
    """The variables the last stage's `ENV` instructions set, on top of the default PATH."""
    instructions = _instructions(text)
    if not any(keyword == "FROM" for keyword, _ in instructions):
        raise ImageConfigError("%s is neither JSON nor a Dockerfile (no FROM instruction)" % path)
    environment: dict[str, str] = {}
    for keyword, arguments in instructions:
        if keyword == "FROM":
            environment = {"PATH": DEFAULT_PATH}
        elif keyword == "ENV":
            try:
                words = shlex.split(arguments, comments=False, posix=True)
            except ValueError as exc:
                raise ImageConfigError("%s: cannot read ENV %s: %s" % (path, arguments[:80], exc)) from None
            if words and "=" not in words[0]:  # the old form: ENV NAME the rest of the line
                name, _, rest = arguments.partition(" ")
                if _NAME.fullmatch(name):
                    environment[name] = _expanded(rest.strip(), environment)
                continue
            assigned = {}
            for word in words:
                name, sign, value = word.partition("=")
                if sign and _NAME.fullmatch(name):
                    assigned[name] = _expanded(value, environment)  # one instruction sees the values before it
            environment.update(assigned)
    return environment
