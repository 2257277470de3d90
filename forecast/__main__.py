"""``python -m forecast``: the same command line as the ``forecast`` script.

Examples
--------
>>> import subprocess, sys
>>> subprocess.run([sys.executable, "-m", "forecast", "--version"]).returncode  # doctest: +SKIP
0
"""

import sys

from forecast.cli import console

if __name__ == "__main__":
    sys.exit(console())
