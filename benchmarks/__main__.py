"""``python -m benchmarks``: run the grid and write benchmarks/RESULTS.md (see run.py)."""

import sys

from .run import main

sys.exit(main())
