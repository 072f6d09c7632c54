"""``python -m riskgraph``: the same as the ``riskgraph`` command."""

import sys

from riskgraph.cli import main

sys.exit(main())
