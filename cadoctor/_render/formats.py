"""The formats of `cadoctor check`, and the one place that picks a report's renderer (each loads only its own)."""

from __future__ import annotations

import enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn, TextIO

    from cadoctor._model import Report
    from cadoctor._render.run import Run


class Format(str, enum.Enum):
    """Output formats of `cadoctor check`."""

    HUMAN = "human"
    JSON = "json"
    ENV = "env"
    PROMETHEUS = "prometheus"  # node_exporter's textfile collector (prometheus.py)
    NAGIOS = "nagios"  # a monitoring plugin's status line, perfdata and exit code (nagios.py)


def _assert_never(value: NoReturn) -> NoReturn:
    """Fail loudly if a format has no renderer."""
    raise AssertionError("unhandled format: %r" % (value,))


def render(report: Report, fmt: Format, stream: TextIO, run: Run | None = None) -> None:
    """Write the report in the chosen format; only human output loads rich.

    `run` (when the check ended, how long it took, the plugin state) is what the monitoring formats add to the
    report: they need it, the others ignore it.
    """
    if fmt is Format.HUMAN:
        from rich.console import Console

        from cadoctor._render.report import render_human

        # rich already turns colour off when the stream is not a terminal or NO_COLOR is set.
        render_human(report, Console(file=stream, highlight=False, soft_wrap=True))
    elif fmt is Format.JSON:
        from cadoctor._render.report import render_json

        stream.write(render_json(report))
    elif fmt is Format.ENV:
        from cadoctor._render.report import render_env

        stream.write(render_env(report))
    elif fmt is Format.PROMETHEUS or fmt is Format.NAGIOS:
        if run is None:
            raise ValueError("--format %s says how the check ran: give its Run" % fmt.value)
        if fmt is Format.PROMETHEUS:
            from cadoctor._render.prometheus import render_prometheus

            stream.write(render_prometheus(report, run))
        else:
            from cadoctor._render.nagios import render_nagios

            stream.write(render_nagios(report, run))
    else:
        _assert_never(fmt)
