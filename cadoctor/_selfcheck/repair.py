"""The self-check's deeper look, reached only when the stat calls suspect a problem: facts, findings, a safe fix."""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from cadoctor._errors import TrustPathError, TrustPathWarning
from cadoctor._selfcheck.quick import (
    APPLIED,
    BUNDLE_VARIABLE,
    LOGGER,
    Problem,
    Result,
    hashed_directory,
    log,
    one_line,
    usable_file,
    what_is_wrong,
)

_MARKERS = (b"-----BEGIN CERTIFICATE-----", b"-----BEGIN TRUSTED CERTIFICATE-----")


_HEAD = 1 << 20  # how far into a bundle to look for a certificate before calling it certificate-free


class Choice(NamedTuple):
    """The bundle a fix names, with what confirmed it and the candidates passed over (and why)."""

    path: str
    origin: str
    loaded: int
    passed_over: list[str]


def respond(chosen: str) -> Result:
    """Look deeper at a suspected problem; then warn, repair or raise as the mode says."""
    problems = diagnose()
    if not problems:
        return Result(ok=True, mode=chosen)
    variable = _cafile_variable()
    choice = choose_bundle(variable) if _env_fix_helps(problems) else None
    suggestion = None if choice is None else "%s=%s (%s, %d CA certificates)" % (variable, *choice[:3])
    line = one_line(_summary(problems, suggestion, choice))
    if chosen == "strict":
        raise TrustPathError(line, Result(False, chosen, tuple(problems), suggestion, line))
    _emit(line)
    if chosen == "fix":
        _apply(variable, choice)
    return Result(False, chosen, tuple(problems), suggestion, line)


def _facts() -> dict[str, Any]:
    """The child's facts of this very process (stdlib only), as another interpreter's child would give them."""
    from cadoctor._facts.child.facts import interpreter_facts
    from cadoctor._variables import for_child

    return interpreter_facts(for_child())


def diagnose() -> list[Problem]:
    """The deeper look: the child's facts of this process turned into findings, worst first."""
    facts = _facts()
    ssl_facts = facts["ssl"]
    if not ssl_facts.get("available"):
        return [Problem("ssl-unavailable", "error", "Python cannot import ssl: %s" % ssl_facts.get("error"))]
    context = facts.get("default_context") or {}
    trust = facts.get("trust") or {}
    cafile = trust.get("cafile") or {}
    directories = [c["path"] for c in trust.get("capaths", []) if c.get("path")]
    served = bool(context.get("x509_ca")) or any(hashed_directory(d) for d in directories)
    problems: list[Problem] = []
    if context.get("ok") is False:
        problems.append(
            Problem("openssl-config-broken", "error", "creating a default context fails: %s" % context.get("error"))
        )
    elif not served:
        problems.append(Problem("trust-store-empty", "error", _empty_evidence(facts, cafile, directories)))
    source = str(cafile.get("source", ""))
    if source.startswith("env:") and not usable_file(str(cafile.get("path"))):
        # an error as `check` says it: the variable replaces the compiled CA file, even while a folder still serves
        problems.append(
            Problem(
                "env-path-invalid",
                "error",
                "%s=%s %s" % (source[4:], cafile.get("path"), what_is_wrong(str(cafile.get("path")))),
            )
        )
    return sorted(problems, key=lambda p: p.severity != "error")


def _empty_evidence(facts: dict[str, Any], cafile: dict[str, Any], directories: list[str]) -> str:
    """Say what the default context read and, when it is the cause, which library looks in the wrong place."""
    context = facts.get("default_context") or {}
    where = "CA file %s (%s)" % (cafile.get("path"), cafile.get("source"))
    if directories:
        where += " and CA directory %s" % ", ".join(directories)
    text = "a default context loads %d CA certificates from %s" % (int(context.get("x509_ca") or 0), where)
    libraries = (facts.get("libraries") or {}).get("items", [])
    in_use = next((lib for lib in libraries if lib.get("in_use")), None)
    if in_use is not None and in_use.get("openssldir_exists") is False:
        text += "; ssl uses %s, compiled with OPENSSLDIR %s, which does not exist here" % (
            in_use.get("path"),
            in_use.get("openssldir"),
        )
    return text


def _refusal(path: str) -> str | None:
    """Why a bundle must not be named by a fix, or None when it qualifies (checked without parsing)."""
    if not os.path.isabs(path):
        return "relative path"
    if not usable_file(path):
        return what_is_wrong(path)
    from cadoctor._facts.fs.disk import exposures

    found = exposures(path, os.geteuid() if hasattr(os, "geteuid") else None)
    if found:
        return "%s is %s" % (found[0].path, found[0].reason)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            head = os.read(fd, _HEAD)
        finally:
            os.close(fd)
    except OSError as exc:
        return "cannot be read (%s)" % (exc.strerror or exc)
    if not any(marker in head for marker in _MARKERS):
        return "holds no PEM certificate"
    return None


def _candidates() -> list[tuple[str, str]]:
    """Bundles a fix may name, best first: the deployer's own, the system's, certifi's."""
    from cadoctor._facts.child.interpreter import certifi_location
    from cadoctor._locations import KNOWN_FILES

    found: list[tuple[str, str]] = []
    named = os.environ.get(BUNDLE_VARIABLE)
    if named:
        found.append((named, BUNDLE_VARIABLE))
    found.extend((path, "system bundle") for path, _ in KNOWN_FILES if os.path.lexists(path))
    certifi = certifi_location()
    if certifi:
        found.append((certifi, "certifi"))
    return found


def _loaded_with(variable: str, value: str) -> int:
    """CA certificates a default context loads with one variable set, restoring the environment after."""
    import ssl

    before = os.environ.get(variable)
    os.environ[variable] = value
    try:
        return int(ssl.create_default_context().cert_store_stats()["x509_ca"])
    except (ssl.SSLError, OSError, ValueError):
        return 0
    finally:
        if before is None:
            del os.environ[variable]
        else:
            os.environ[variable] = before


def choose_bundle(variable: str) -> Choice | None:
    """The first candidate that qualifies and makes a default context load certificates with `variable` set."""
    refusals: list[str] = []
    for path, origin in _candidates():
        reason = _refusal(path)
        if reason is None:
            loaded = _loaded_with(variable, path)
            if loaded > 0:
                return Choice(path, origin, loaded, refusals)
            reason = "a default context loads nothing from it"
        refusals.append("%s %s: %s" % (origin, path, reason))
    return None


def _emit(line: str) -> None:
    """Warn and log one line; logging is imported only when there is something to say."""
    import logging
    import warnings

    warnings.warn(TrustPathWarning(line), stacklevel=4)  # _emit, respond, run: point at whoever ran the check
    logging.getLogger(LOGGER).warning(line)


def _cafile_variable() -> str:
    """The variable the loaded library reads for its CA file (SSL_CERT_FILE for OpenSSL)."""
    try:
        import _ssl

        return str(_ssl.get_default_verify_paths()[0])
    except Exception:  # ssl is unavailable: no variable will help, but name the usual one
        return "SSL_CERT_FILE"


def _env_fix_helps(problems: list[Problem]) -> bool:
    """Pointing the CA file variable at a bundle fixes an empty store or a broken CA file variable."""
    return any(p.code in ("trust-store-empty", "env-path-invalid") for p in problems)


def _summary(problems: list[Problem], suggestion: str | None, choice: Choice | None) -> str:
    """The one log line: the worst finding with its evidence, the others by code, and the fix."""
    first = problems[0]
    text = "cadoctor selfcheck: %s (%s): %s" % (first.code, first.severity, first.evidence)
    others = [p.code for p in problems[1:]]
    if others:
        text += "; also %s" % ", ".join(others)
    if suggestion is not None:
        text += "; fix: %s" % suggestion
    elif _env_fix_helps(problems):
        text += "; no bundle qualifies for a safe fix"
    if choice is not None and choice.passed_over:
        text += " (passed over: %s)" % "; ".join(choice.passed_over)
    return text


def _apply(variable: str, choice: Choice | None) -> None:
    """Set the CA file variable to the chosen bundle in this process and log exactly what changed.

    The choice was confirmed with this very variable set: a default context loaded its certificates.
    """
    if choice is None:
        log("cadoctor selfcheck: fix: nothing changed, no bundle qualifies")
        return
    user_value = os.environ.get(variable)
    if user_value is not None and usable_file(user_value) and _loaded_with(variable, user_value) > 0:
        log("cadoctor selfcheck: fix: nothing changed, %s=%s is set and loads certificates" % (variable, user_value))
        return
    os.environ[variable] = choice.path
    APPLIED[variable] = choice.path
    log(
        "cadoctor selfcheck: fix: set %s=%s (%s; was %s); a default context now loads %d CA certificates"
        % (variable, choice.path, choice.origin, "unset" if user_value is None else repr(user_value), choice.loaded)
    )
