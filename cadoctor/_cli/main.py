"""The console entry point: each command loads only what it needs (`inspect` and `ps`: neither typer nor `check`)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code instead of exiting."""
    args = sys.argv[1:] if argv is None else list(argv)
    from cadoctor._cli.options import parse
    from cadoctor._facts.child.openssl_paths import blocking_configuration

    # Everything but `ps` loads OpenSSL (typer's models, inspect's hashes), which would wait forever on what this
    # names; `check` says so in the format asked for (`run_check`).
    blocked = blocking_configuration()
    if blocked is not None and args[:1] not in (["check"], ["ps"]):
        return _refused(blocked)
    if args[:1] == ["inspect"]:
        from cadoctor._cli.inspect import INSPECT, run_inspect

        values = parse(INSPECT, args)
        if values is not None:
            return run_inspect(values["fmt"], values["root"], values["paths"])
    if args[:1] == ["ps"]:
        from cadoctor._cli.ps import PS, run_ps

        values = parse(PS, args)
        if values is not None:
            return run_ps(values["fmt"], values["fail_on"])
    if args[:1] == ["check"]:
        from cadoctor._cli.check import CHECK, CheckOptions, run_check

        values = parse(CHECK, args)
        if values is not None:
            return run_check(CheckOptions(**values))  # in the format asked for, when OpenSSL cannot load here
    plugin = _as_plugin(args)
    if blocked is not None and plugin:  # what is left (typer's usage errors) loads OpenSSL too
        from cadoctor._cli.check import plugin_usage_error

        return plugin_usage_error(blocked)
    if blocked is not None:
        return _refused(blocked)
    usage = _invalid_choice(args)
    if usage is not None and plugin:
        from cadoctor._cli.check import plugin_usage_error

        return plugin_usage_error(usage)
    if usage is not None:
        from cadoctor._cli.exits import EXIT_USAGE
        from cadoctor._render.terminal import error

        error(usage)
        return EXIT_USAGE
    from cadoctor._cli.app import run

    return run(args, plugin=plugin)


def _refused(blocked: str) -> int:
    """One line on stderr, exit 3: nothing that loads OpenSSL can run here."""
    from cadoctor._cli.exits import EXIT_CANNOT_EXAMINE
    from cadoctor._render.terminal import error

    error(blocked)
    return EXIT_CANNOT_EXAMINE


def _as_plugin(args: list[str]) -> bool:
    """Whether this is `check --format nagios`: its usage errors are then a plugin's, UNKNOWN and exit 3."""
    if args[:1] != ["check"]:
        return False
    from cadoctor._cli.check import CHECK
    from cadoctor._cli.options import chosen

    return chosen(CHECK, args, "fmt") == "nagios"


def _invalid_choice(args: list[str]) -> str | None:
    """A word outside a choice option's values (`--format yaml`), named in one line, before typer is loaded."""
    from cadoctor._cli.options import Command, invalid_choice

    table: Command
    if args[:1] == ["check"]:
        from cadoctor._cli.check import CHECK as table
    elif args[:1] == ["explain"]:
        from cadoctor._cli.explain import EXPLAIN as table
    elif args[:1] == ["inspect"]:
        from cadoctor._cli.inspect import INSPECT as table
    elif args[:1] == ["ps"]:
        from cadoctor._cli.ps import PS as table
    else:
        return None
    return invalid_choice(table, args)


def entry() -> None:
    """The `cadoctor` console script and `python -m cadoctor`: a reader that leaves early is not a finding."""
    import gc
    import os

    # A command allocates few reference cycles: collecting every 700 new objects cost a check about 20 passes over
    # everything imported (5 ms); every 50,000 still bounds what cyclic garbage can hold.
    gc.set_threshold(50_000, 20, 20)
    _stop_on_signals()
    from cadoctor._cli.pipe import run_watched

    code = run_watched(main)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a stream that cannot take the rest: the interpreter's own exit says how
        sys.exit(code)
    # Everything is written and every child reaped: tearing down the interpreter (freeing each module and
    # parsed certificate) would only add time, about a tenth of a failing --host check.
    os._exit(code)


def _stop_on_signals() -> None:
    """SIGTERM, SIGHUP and Ctrl-C stop the command now, and the children it started with it, without a traceback.

    A check under a time limit (cron's `timeout`, a monitoring runner) is stopped by a signal to its process alone:
    a trial's child hanging in the examined interpreter's startup would otherwise run on. The process then dies of
    the same signal, so its status says how it ended (143, 129, 130 in a shell).
    """
    import os
    import signal

    def stop(signum: int, frame: object) -> None:
        """Kill the children, then end by the signal itself."""
        running = sys.modules.get("cadoctor._facts.interpreters.run")  # loaded only by a check that runs children
        if running is not None:
            running.stop_all()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        number = getattr(signal, name, None)
        if number is not None:
            try:
                signal.signal(number, stop)
            except (OSError, ValueError):  # not the main thread, or a signal this platform cannot catch
                continue
