"""``python -m deploy``: see deploy/cli.py."""

import sys

from deploy.cli import main

if __name__ == "__main__":
    sys.exit(main())
