"""Child process of `machine.MatmulRate`: `python -m benchmarks.matmul_child SIZE`.

Reads a call count per line from stdin, runs that many SIZE x SIZE float32
matrix products and writes the seconds each took as a JSON list on one line.
Exits when stdin closes. The parent sets the BLAS thread count in the
environment before numpy is imported here.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit() or int(argv[0]) < 1:
        print("usage: python -m benchmarks.matmul_child SIZE (a positive integer)", file=sys.stderr)
        return 2
    size = int(argv[0])

    generator = np.random.default_rng(0)
    left = generator.standard_normal((size, size), dtype=np.float32)
    right = generator.standard_normal((size, size), dtype=np.float32)
    product = np.empty((size, size), dtype=np.float32)
    np.matmul(left, right, out=product)  # the first call starts the BLAS threads

    for line in sys.stdin:
        calls = int(line)
        seconds = []
        for _ in range(calls):
            start = time.perf_counter()
            np.matmul(left, right, out=product)
            seconds.append(time.perf_counter() - start)
        print(json.dumps(seconds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
