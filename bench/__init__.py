"""The benchmark suite of issue 8: ``python -m bench [--quick] [--only NAME] [--n N]``.

Each benchmark is a module with ``NAME`` and ``run(options) -> Result``; the figures are printed
as a table and written to ``bench/results/<name>.json`` with the machine they were measured on.
Ratios are always measured against a baseline in the same run and the same process.
"""

from __future__ import annotations

BENCHMARKS = ("render", "bus", "intake", "peak", "scale")
