"""The machine the figures were measured on, and its float32 matrix-multiply rate."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata

from benchmarks.context import REPO_ROOT, subprocess_environment
from training.machine import cpu_model

# Side of the square matrices for the matrix-multiply rate. At 2048 one
# product is 17 GFLOP, long enough to reach the BLAS library's peak and short
# enough (about 0.2 s on 2 cores) to repeat every round.
MATMUL_SIZE = 2048

_PACKAGES = ("numpy", "onnxruntime", "onnx", "Pillow", "PySide6-Essentials", "tensorflow-cpu", "tensorflow", "keras")

# Environment variables that change the figures: thread counts, and whether
# Python may cache compiled modules, which start-up pays for when it cannot.
_RECORDED_VARIABLES = (
    "CNN_LENS_DATA", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX",
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
)

# Thread-count variables read by the BLAS libraries numpy is built with
# (OpenBLAS, MKL, Apple Accelerate, and OpenMP builds).
_BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask), which containers can make fewer than the machine has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> list[float] | None:
    """Return the 1-, 5- and 15-minute load averages, or None where the system has none."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def describe_machine() -> dict:
    """CPU, core count, Python and the versions of the packages that set the speed."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "qt_platform": subprocess_environment().get("QT_QPA_PLATFORM", "default"),
        "environment": {name: os.environ[name] for name in _RECORDED_VARIABLES if name in os.environ},
    }


class MatmulRate:
    """A child process that times float32 matrix products on a fixed number of BLAS threads.

    BLAS libraries read their thread count once, when numpy is imported, so
    the product runs in a child started with the count set in its
    environment. The child stays up between rounds and runs one round per
    request, which lets the caller interleave it with other measurements.
    """

    def __init__(self, threads: int, size: int = MATMUL_SIZE):
        if threads < 1 or size < 1:
            raise ValueError(f"threads and size must be at least 1, got {threads} and {size}")
        self.threads = threads
        self.size = size
        environment = subprocess_environment()
        for name in _BLAS_THREAD_VARIABLES:
            environment[name] = str(threads)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.matmul_child", str(size)],
            cwd=REPO_ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def measure(self, calls: int) -> list[float]:
        """Time `calls` products in the child and return the seconds each took.

        Raises:
            RuntimeError: the child exited or sent something unexpected.
        """
        self._process.stdin.write(f"{calls}\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the matrix-multiply child exited with status {self._process.wait()}")
        return json.loads(line)

    def flops_per_product(self) -> float:
        """Floating-point operations of one product: a multiply and an add per inner step."""
        return 2.0 * self.size**3

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            self._process.wait(timeout=30)
