"""The self-check behind `import cadoctor.selfcheck`: a few stat calls when healthy, the child's facts otherwise.

Only the standard library, and on the healthy path only modules the interpreter has already loaded, plus `ssl`
(which the function imports anyway) and the child's `openssl_paths`, the one resolution of OpenSSL's default
paths (about 0.2 ms): serverless functions pay for every import at every cold start.

Its public names are what the repair path (`repair`, `run`) shares with it: the process's record of what the
self-checks did (`APPLIED`, `ANSWERED`, `WATCHED`), the stat-only judgement of a CA location (`usable_file`,
`hashed_directory`, `what_is_wrong`), and the one log line (`one_line`, `log`).
"""

from __future__ import annotations

import os
import stat
import sys

from cadoctor._facts.child.openssl_paths import trust_sources

MODES = ("warn", "fix", "strict", "off")


MODE_VARIABLE = "CADOCTOR_SELFCHECK"


BUNDLE_VARIABLE = "CADOCTOR_CA_BUNDLE"


LOGGER = "cadoctor"


_HEX = frozenset("0123456789abcdef")


_DIRECTORY_LIMIT = 20000  # entries looked at in one CA directory


# The variables that change the answer of a deeper look; while they stay the same, it is not repeated.
WATCHED = ("SSL_CERT_FILE", "SSL_CERT_DIR", "LD_LIBRARY_PATH", "LD_PRELOAD", "OPENSSL_CONF", "CADOCTOR_CA_BUNDLE")


# What `fix` changed in this process, variable -> value: reported by every later run, never applied twice.
APPLIED: dict[str, str] = {}


# What a deeper look answered, by mode and the watched variables' values: said once, then returned quietly.
ANSWERED: dict[tuple[str | None, ...], Result] = {}


_ANSWERED_MODES: set[str] = set()  # unknown mode values already warned about


class Problem:
    """One finding of the self-check: a code from the public table, its severity, and what was observed."""

    __slots__ = ("code", "evidence", "severity")

    def __init__(self, code: str, severity: str, evidence: str) -> None:
        """Record one finding."""
        self.code, self.severity, self.evidence = code, severity, evidence

    def __repr__(self) -> str:
        """Show the finding in logs and test failures."""
        return "Problem(%r, %r, %r)" % (self.code, self.severity, self.evidence)


class Result:
    """What one self-check found and did.

    Attributes:
        ok: True when the trust path looked healthy (always True for mode `off`, which checks nothing).
        mode: The mode that ran: `warn`, `fix`, `strict` or `off`.
        findings: The problems found, worst first.
        suggestion: The safe fix, as `VARIABLE=value (why)`, when one qualified.
        applied: Variables the `fix` mode set in this process (by this run or an earlier one), name -> value.
        line: The one log line emitted, if any.

    """

    __slots__ = ("applied", "findings", "line", "mode", "ok", "suggestion")

    def __init__(
        self,
        ok: bool,
        mode: str,
        findings: tuple[Problem, ...] = (),
        suggestion: str | None = None,
        line: str | None = None,
    ) -> None:
        """Record the outcome; `applied` is the process-wide record of what `fix` changed."""
        self.ok, self.mode, self.findings = ok, mode, findings
        self.suggestion, self.line = suggestion, line
        self.applied = dict(APPLIED)

    def __repr__(self) -> str:
        """Show the outcome in logs and test failures."""
        return "Result(ok=%r, mode=%r, findings=%r, suggestion=%r, applied=%r)" % (
            self.ok,
            self.mode,
            self.findings,
            self.suggestion,
            self.applied,
        )


def usable_file(path: str) -> bool:
    """A regular, non-empty, readable file: what OpenSSL can load without blocking."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size > 0 and os.access(path, os.R_OK)


def hashed_directory(path: str) -> bool:
    """A directory holding at least one `<hash>.<n>` entry that reaches a file."""
    try:
        with os.scandir(path) as entries:
            for _, entry in zip(range(_DIRECTORY_LIMIT), entries):
                name = entry.name
                looks_hashed = len(name) > 9 and name[8] == "." and name[9:].isdigit() and _HEX.issuperset(name[:8])
                if looks_hashed and os.path.isfile(entry.path):
                    return True
    except (OSError, ValueError):
        return False
    return False


def what_is_wrong(path: str) -> str:
    """Say in a few words why a CA file cannot serve."""
    if not os.path.isabs(path):
        return "is a relative path"
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except (OSError, ValueError) as exc:
        return "cannot be read (%s)" % (getattr(exc, "strerror", None) or exc)
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a FIFO or a device would block OpenSSL)"
    if info.st_size == 0:
        return "is empty"
    if not os.access(path, os.R_OK):
        return "is not readable by this process"
    return "holds no certificate OpenSSL loads"


def quick_check() -> str | None:
    """None when trust looks served (a few stat calls); otherwise why a deeper look is needed."""
    try:
        import _ssl
        import ssl
    except Exception as exc:  # any failure to import is itself the finding
        return "ssl does not import: %s" % exc
    try:
        file_env, cafile, dir_env, capath = _ssl.get_default_verify_paths()
        version = ssl.OPENSSL_VERSION
    except AttributeError:  # a file of the user's shadows the standard library's ssl
        return "ssl is not the standard library's module"
    raw = {"cafile_env": file_env, "cafile": cafile, "capath_env": dir_env, "capath": capath}
    sources = trust_sources({"default_verify_paths_raw": raw, "openssl_version": version})
    cafile = sources["cafile"]["path"]
    if sources["cafile"]["source"] != "compiled" and not usable_file(str(cafile)):
        return "%s %s" % (file_env, what_is_wrong(str(cafile)))
    if cafile and usable_file(cafile):
        return None
    if any(hashed_directory(c["path"]) for c in sources["capaths"] if c["path"]):
        return None
    if sys.platform == "win32":
        return None  # ssl loads the Windows certificate store; the OpenSSL paths are normally absent there
    return "no CA file and no hashed CA directory in effect"


def one_line(text: str) -> str:
    """Keep a log line on one line whatever the paths hold (only a problem is logged: the import waits for it)."""
    from cadoctor._text import printable

    return printable(text)


def log(line: str) -> None:
    """Log one line at warning level, so that it shows even where logging was never configured."""
    import logging

    logging.getLogger(LOGGER).warning(one_line(line))


def resolve_mode(mode: str | None) -> str:
    """The mode to run: the argument, else CADOCTOR_SELFCHECK, else warn; unknown values warn and mean warn."""
    value = os.environ.get(MODE_VARIABLE, "warn") if mode is None else mode
    normal = value.strip().lower() or "warn"
    if normal in MODES:
        return normal
    if value in _ANSWERED_MODES:
        return "warn"
    _ANSWERED_MODES.add(value)
    import warnings

    message = one_line(
        "cadoctor selfcheck: %s=%r is not one of %s; using warn" % (MODE_VARIABLE, value, ", ".join(MODES))
    )
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    log(message)
    return "warn"
