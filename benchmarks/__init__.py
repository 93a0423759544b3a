"""``liudong bench [--quick]``: throughput, latency, replay, scale-out and memory, measured in
one run on one broker this command starts itself (loopback only), each figure beside the
baseline it is compared with. See :mod:`benchmarks.runner` for what runs in which order.

- :mod:`benchmarks.stats`: percentiles, ratios, targets and the markdown table (pure).
- :mod:`benchmarks.corpus`: the signed event set, published once and cloned per stage.
- :mod:`benchmarks.measure`: raw consume, group-progress and latency measurements.
- :mod:`benchmarks.faust_baseline`: the plain Faust app (its own process).
- :mod:`benchmarks.runner`: the stages, the results files, ``cmd_bench``.
"""

from __future__ import annotations

from benchmarks.runner import cmd_bench

__all__ = ["cmd_bench"]
