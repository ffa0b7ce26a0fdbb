"""The console entry point: `inspect` on a large binary starts without loading what `check` needs."""

from __future__ import annotations

import sys


def entry() -> None:
    """The `cadoctor` console script and `python -m cadoctor`."""
    args = sys.argv[1:]
    if args[:1] == ["inspect"]:
        from cadoctor._inspect import parse_inspect, run_inspect

        inspection = parse_inspect(args)
        if inspection is not None:
            sys.exit(run_inspect(*inspection))
    from cadoctor._command import main

    sys.exit(main(args))
