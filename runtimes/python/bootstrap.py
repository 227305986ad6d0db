"""thaw's managed Python runtime, the program inside a Python ExecutionEnvironment.

    python3 runtimes/python/bootstrap.py <handler>

started with Lambda's environment variables and the task root as cwd (spec section 3). The work is
in _thaw_runtime; this file stays tiny because Python never caches the bytecode of the script it
is started with, while imported modules are loaded from ``__pycache__``.
"""

import sys

from _thaw_runtime import main

main(sys.argv)
