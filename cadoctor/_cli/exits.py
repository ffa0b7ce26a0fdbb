"""The exit codes of every command, named once: docs/exit-codes.md is their contract with build scripts."""

from __future__ import annotations

import os

EXIT_OK = 0  # healthy, every path read, a message recognised
EXIT_FINDINGS = 1  # findings at or above --fail-on; a damaged or unknown file (inspect); an unknown message (explain)
EXIT_USAGE = 2  # an unknown option or value, an unwritable --output, a client certificate that cannot be loaded
EXIT_CANNOT_EXAMINE = 3  # the subject cannot be examined: no probe, no process, no root, a path that cannot be read
EXIT_UNREACHABLE = 4  # a --host gave no TLS answer (refused, unknown, silent, not TLS) and no trust finding failed
EXIT_READER_LEFT = 128 + 13 if os.name == "posix" else 1  # 128 + SIGPIPE, 13 on every POSIX system

# `check --format nagios`: the monitoring-plugin states instead (docs/exit-codes.md)
PLUGIN_OK = 0
PLUGIN_WARNING = 1  # a warning, or an error --fail-on does not fail on
PLUGIN_CRITICAL = 2  # what --fail-on fails on (exit 1 elsewhere), or a --host without a TLS answer (exit 4 elsewhere)
PLUGIN_UNKNOWN = 3  # the check could not run (exit 3 elsewhere), or a usage error (exit 2 elsewhere)
