"""The exceptions `cadoctor.check()` raises when a subject cannot be examined at all, exported by `cadoctor`.

They live in a base module so that the probes raise the very classes users catch (`cadoctor.ProcessError`),
without a fact module importing the package's public surface.
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
