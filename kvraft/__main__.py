"""``python -m kvraft``: the kvraft server (see kvraft/cli.py)."""

import sys

from .cli import main

sys.exit(main())
