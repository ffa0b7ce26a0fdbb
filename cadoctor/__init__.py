"""cadoctor: which CA certificates this Python trusts, why, and the smallest safe fix."""

from __future__ import annotations

from cadoctor._version import __version__

# No `typing` import here: `import cadoctor.selfcheck` runs at cold start and must cost almost nothing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._commands.check import check
    from cadoctor._errors import CheckError, ClientCertificateError, InterpreterError, ProcessError, RootError
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
_ERRORS = ("CheckError", "ClientCertificateError", "InterpreterError", "ProcessError", "RootError")


class TrustPathWarning(Warning):
    """The self-check found a problem in this process's CA trust path (`CADOCTOR_SELFCHECK=warn` or `fix`)."""


class TrustPathError(Exception):
    """The self-check found a problem and `CADOCTOR_SELFCHECK=strict` asks a broken deployment to fail loudly.

    Attributes:
        result: The self-check's result (`cadoctor.selfcheck.Result`), with its findings and suggested fix.

    """

    def __init__(self, message: str, result: object = None) -> None:
        """Keep the self-check's result beside the message."""
        super().__init__(message)
        self.result = result


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
