"""``python -m deploy``: see deploy/cli.py."""

import gc
import sys

from deploy.cli import main


def run() -> int:
    # `plan` is a short run that imports a very large module graph (pulumi_aws): the cyclic garbage
    # collector's passes over it, during the run and again at interpreter exit, cost about a third of
    # the time and free almost nothing. Long-running commands keep the collector.
    offline = sys.argv[1:2] in (["plan"], ["diagram"])
    if offline:
        gc.disable()
    try:
        return main()
    finally:
        gc.freeze()  # nothing left to collect at exit: skip the final passes


if __name__ == "__main__":
    sys.exit(run())
