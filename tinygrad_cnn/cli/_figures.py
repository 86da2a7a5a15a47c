"""What every ``--plot`` of the command line shares: matplotlib with the non-interactive Agg backend, imported
only when a figure is drawn, and PNG files written into a directory that is created if missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["pyplot", "save"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed); ImportError if matplotlib is missing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(directory: str | Path, figures: dict[str, Any], dpi: int, **savefig: Any) -> list[Path]:
    """Write each figure as ``directory/<name>`` (``directory`` created if missing), close it, return the paths."""
    import matplotlib.pyplot as plt

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, figure in figures.items():
        path = directory / name
        figure.savefig(path, dpi=dpi, **savefig)
        plt.close(figure)
        paths.append(path)
    return paths
