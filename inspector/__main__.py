"""``python -m inspector`` runs the same entry point as the ``realtime-inspector`` script."""

import sys

from inspector.cli import main

sys.exit(main())
