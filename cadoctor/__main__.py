"""`python -m cadoctor`."""

import sys

from cadoctor._cli import main

sys.exit(main())
