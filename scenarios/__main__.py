"""``python -m scenarios`` is the ``raftsim`` command."""

import sys

from scenarios.cli import main

sys.exit(main())
