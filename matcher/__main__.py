"""``python -m matcher``: the command line (see :mod:`matcher.cli`)."""

import sys

from .cli import main

sys.exit(main())
