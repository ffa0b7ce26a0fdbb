"""Check this process's CA trust path once, at import: put `import cadoctor.selfcheck` atop a handler module.

`CADOCTOR_SELFCHECK` picks the mode: `warn` (default) emits a `cadoctor.TrustPathWarning` and one log line on
the `cadoctor` logger; `fix` also points `SSL_CERT_FILE` at a safe bundle (`CADOCTOR_CA_BUNDLE` first, then the
system's, then certifi's); `strict` raises `cadoctor.TrustPathError`; `off` does nothing. The healthy path costs a
few stat calls and imports nothing outside the standard library.
"""

from __future__ import annotations

from cadoctor._selfcheck.quick import MODES, Problem, Result
from cadoctor._selfcheck.run import run

__all__ = ["MODES", "RESULT", "Problem", "Result", "run"]

RESULT: Result = run()
"""What the check at import found and did."""
