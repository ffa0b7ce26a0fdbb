"""The public exceptions, exported by `cadoctor`: what `check()` raises, and the self-check's warning and error.

They live in a base module so that the facts and the self-check raise the very classes users catch
(`cadoctor.ProcessError`, `cadoctor.TrustPathError`), without importing the package's public surface.
"""

from __future__ import annotations


class CheckError(Exception):
    """The check could not run for its subject (the CLI's exit 3); the message says why in one line."""


class InterpreterError(CheckError):
    """Another interpreter (`python=`) could not be probed: missing, not runnable, too old, silent or babbling."""


class ProcessError(CheckError):
    """The process (`pid=`) cannot be read at all: gone, a zombie, a kernel thread, or not ours to read (`denied`).

    Attributes:
        denied: True when the process exists but this user may not read it.

    """

    def __init__(self, message: str, *, denied: bool = False) -> None:
        """Keep whether the process was there but closed to this user."""
        super().__init__(message)
        self.denied = denied


class RootError(CheckError):
    """The root to examine (`root=`) is not a directory this process can read."""


class ClientCertificateError(ValueError):
    """The client certificate or key given (`client_cert=`, `client_key=`) cannot be loaded: a usage error."""


class TrustPathWarning(Warning):
    """The self-check found a problem in this process's CA trust path (`CADOCTOR_SELFCHECK=warn` or `fix`)."""

    __module__ = "cadoctor"  # its public name: what warnings print and what `-W error::cadoctor.TrustPathWarning` names


class TrustPathError(Exception):
    """The self-check found a problem and `CADOCTOR_SELFCHECK=strict` asks a broken deployment to fail loudly.

    Attributes:
        result: The self-check's result (`cadoctor.selfcheck.Result`), with its findings and suggested fix.

    """

    __module__ = "cadoctor"  # its public name, as tracebacks print it

    def __init__(self, message: str, result: object = None) -> None:
        """Keep the self-check's result beside the message."""
        super().__init__(message)
        self.result = result
