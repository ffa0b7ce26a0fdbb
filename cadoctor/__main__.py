"""`python -m cadoctor`."""

from cadoctor._main import entry

entry()
