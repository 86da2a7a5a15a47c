"""Where the figures were measured, and the thread counts they were measured at.

Records the platform, Python, numpy, the CPU, the BLAS library numpy calls (its
version, threading layer and kernel, from ``threadpoolctl``), the environment
variables that change numpy's speed (recorded, never changed), PyTorch's thread
count, and numpy's GEMM rate: the machine's limit for a case that is mostly
matrix products is its FLOPs divided by that rate.

``threadpoolctl`` is imported here only, inside functions (it is a dependency
of the package, so it is there unless removed).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = [
    "INSTALL_HINTS",
    "all_cores",
    "blas_info",
    "code_info",
    "gemm_rate",
    "limit_threads",
    "machine_info",
    "machine_summary",
    "peer_key",
    "peer_version",
]

# How to install the well-known peers, and the distribution holding each (for its version);
# keyed by the first word of the peer name, lower-cased.
INSTALL_HINTS = {
    "micrograd": "pip install micrograd",
    "mygrad": "pip install mygrad",
    "pytorch": "the CPU build of PyTorch (see benchmarks/README.md)",
    "torch": "the CPU build of PyTorch (see benchmarks/README.md)",
}
_DISTRIBUTIONS = {"micrograd": "micrograd", "mygrad": "mygrad", "pytorch": "torch", "torch": "torch"}

# Environment variables that change how fast numpy runs; recorded, never changed.
_RECORDED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                 "MKL_NUM_THREADS")
GEMM_SIZE = 512  # numpy's GEMM rate is measured on (512, 512) @ (512, 512)


def all_cores() -> int:
    """The number of cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.contextmanager
def limit_threads(threads: int | None) -> Iterator[None]:
    """Run the body with BLAS/OpenMP pools (threadpoolctl) and PyTorch (if imported) at ``threads`` threads."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=threads):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def blas_info() -> list[dict[str, object]]:
    """Every thread pool threadpoolctl sees (numpy's BLAS first): library, version, threading layer, kernel."""
    import numpy  # noqa: F401  (loads the BLAS so that threadpoolctl can see it)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed (pip install 'tinygrad_cnn[bench]')"}]
    keys = ("user_api", "internal_api", "prefix", "version", "threading_layer", "architecture", "num_threads")
    return [{k: pool.get(k) for k in keys} for pool in threadpool_info()]


def gemm_rate(dtype: str, repeat: int = 5) -> float:
    """numpy's matrix-product rate in FLOP/s at the current thread limit: 2n³ / median time of an n×n product."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((GEMM_SIZE, GEMM_SIZE)).astype(dtype)
    b = rng.standard_normal((GEMM_SIZE, GEMM_SIZE)).astype(dtype)
    a @ b  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2.0 * GEMM_SIZE**3 / statistics.median(times)


def machine_info() -> dict[str, object]:
    """Where the figures were measured: OS, Python, numpy, BLAS, CPU, cores, the BLAS environment."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": _distribution_version("numpy"),
        "blas": blas_info(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": all_cores(),
        "tinygrad_cnn": _distribution_version("tinygrad_cnn"),
        "env": {name: os.environ.get(name) for name in _RECORDED_ENV},
    }


def machine_summary(machine: Mapping[str, object]) -> str:
    """One line naming the machine, to print under the table.

    >>> machine_summary({"cpu_model": "Some CPU", "cpus_usable": 2, "platform": "Linux-6",
    ...                  "python": "CPython 3.11.7", "numpy": "2.4.6", "env": {"OPENBLAS_CORETYPE": "Haswell"},
    ...                  "blas": [{"internal_api": "openblas", "version": "0.3.31", "threading_layer": "pthreads",
    ...                            "architecture": "Haswell", "user_api": "blas"}]})
    'Some CPU, 2 usable cores, Linux-6, CPython 3.11.7, numpy 2.4.6, openblas 0.3.31 (pthreads, Haswell kernel), OPENBLAS_CORETYPE=Haswell'
    """  # noqa: E501
    cores = machine.get("cpus_usable") or machine.get("cpu_count")
    parts = [
        str(machine.get("cpu_model") or "unknown CPU"),
        f"{cores} usable cores" if cores else "unknown core count",
        str(machine.get("platform")),
        str(machine.get("python")),
        f"numpy {machine.get('numpy')}",
    ]
    for pool in machine.get("blas") or []:
        if isinstance(pool, Mapping) and pool.get("user_api") == "blas":
            parts.append(f"{pool.get('internal_api')} {pool.get('version')} "
                         f"({pool.get('threading_layer')}, {pool.get('architecture')} kernel)")
    env = machine.get("env") or {}
    parts += [f"{name}={value}" for name, value in env.items() if value is not None]
    return ", ".join(parts)


def code_info() -> dict[str, object]:
    """The git commit of the code measured, and whether the work tree had changes."""
    root = Path(__file__).resolve().parent.parent
    commit = _git(root, "rev-parse", "HEAD")
    status = _git(root, "status", "--porcelain")
    return {"git_commit": commit, "uncommitted_changes": None if status is None else bool(status)}


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _cpu_model() -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return platform.processor() or None
    for key in ("model name", "Hardware", "cpu model", "Processor"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", text, flags=re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or None


def peer_version(peer: str, packages: Mapping[str, str] | None = None) -> str | None:
    """The installed version of a peer's distribution, or None if unknown."""
    dist = (packages or {}).get(peer) or _DISTRIBUTIONS.get(peer_key(peer), peer)
    return _distribution_version(dist)


def _distribution_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def peer_key(name: str) -> str:
    """``"PyTorch CPU"`` -> ``"pytorch"``: the key of the well-known peer tables.

    >>> peer_key("PyTorch CPU"), peer_key("mygrad_2")
    ('pytorch', 'mygrad')
    """
    words = re.split(r"[\s_\-]+", name.strip().lower())
    return words[0] if words else ""
