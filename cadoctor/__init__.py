"""cadoctor: which CA certificates this Python trusts, why, and the smallest safe fix."""

from __future__ import annotations

from cadoctor._version import __version__

# No `typing` import here: `import cadoctor.selfcheck` runs at cold start and must cost almost nothing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._commands.check import check
    from cadoctor._errors import (
        CheckError,
        ClientCertificateError,
        InterpreterError,
        ProcessError,
        RootError,
        TrustPathError,
        TrustPathWarning,
    )
    from cadoctor._model import Finding, Fix, Report, Severity

__all__ = [
    "CheckError",
    "ClientCertificateError",
    "Finding",
    "Fix",
    "InterpreterError",
    "ProcessError",
    "Report",
    "RootError",
    "Severity",
    "TrustPathError",
    "TrustPathWarning",
    "__version__",
    "check",
]
_ERRORS = (
    "CheckError",
    "ClientCertificateError",
    "InterpreterError",
    "ProcessError",
    "RootError",
    "TrustPathError",
    "TrustPathWarning",
)


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so that `import cadoctor` stays cheap."""
    if name == "check":
        from cadoctor._commands.check import check

        return check
    if name in ("Finding", "Fix", "Report", "Severity"):
        from cadoctor import _model

        return getattr(_model, name)
    if name in _ERRORS:
        from cadoctor import _errors

        return getattr(_errors, name)
    raise AttributeError("module 'cadoctor' has no attribute %r" % name)
