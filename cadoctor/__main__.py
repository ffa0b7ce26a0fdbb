"""`python -m cadoctor`."""

from cadoctor._cli.main import entry

entry()
