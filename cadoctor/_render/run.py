"""How one check ran, for the formats that say so: when it ended, how long it took, the state the CLI decided."""

from __future__ import annotations

from cadoctor._model import Severity
from cadoctor._record import record


@record
class Run:
    """How one check ran, for the monitoring formats (prometheus, nagios); the CLI measures and decides it.

    Attributes:
        finished: When the check ended, in Unix time.
        seconds: How long it took.
        state: The monitoring-plugin state the CLI decided from the report and `--fail-on` (0 OK, 1 WARNING,
            2 CRITICAL, 3 UNKNOWN; docs/exit-codes.md).
        critical: The lowest severity that makes CRITICAL (`--fail-on`); None: none does (`never`).
        file: The name of the file the report is written to (`--output`, without its folder), or None for stdout.

    """

    finished: float
    seconds: float
    state: int = 0
    critical: Severity | None = Severity.ERROR
    file: str | None = None
