"""``python -m restoreplan`` runs the command-line interface (same as the ``restoreplan`` script)."""

import sys

from restoreplan.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
