"""Write the generated docs page: `python -m cadoctor._cli.docs > docs/clients.md`."""

from __future__ import annotations

import sys

from cadoctor._render.clients import page
from cadoctor._rules.client_table import MODES, RULES, STDLIB
from cadoctor._rules.stack_table import STACK_RULES

if __name__ == "__main__":
    sys.stdout.write(page((STDLIB, *RULES, *MODES), STACK_RULES))
