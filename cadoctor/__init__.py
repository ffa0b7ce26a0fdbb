"""cadoctor: which CA certificates this Python trusts, why, and the smallest safe fix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Finding", "Fix", "Report", "Severity", "__version__", "check"]

if TYPE_CHECKING:
    from cadoctor._check import check
    from cadoctor._model import Finding, Fix, Report, Severity


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so that `import cadoctor` stays cheap."""
    if name == "check":
        from cadoctor._check import check

        return check
    if name in ("Finding", "Fix", "Report", "Severity"):
        from cadoctor import _model

        return getattr(_model, name)
    raise AttributeError("module 'cadoctor' has no attribute %r" % name)
