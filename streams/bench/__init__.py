"""``liudong bench [--quick]``: throughput, latency, replay, scale-out and memory, measured in
one run on one broker this command starts itself (loopback only), each figure beside the
baseline it is compared with. See :mod:`streams.bench.runner` for what runs in which order.

- :mod:`streams.bench.stats`: percentiles, ratios, targets and the markdown table (pure).
- :mod:`streams.bench.corpus`: the signed event set, published once and cloned per stage.
- :mod:`streams.bench.measure`: raw consume, group-progress and latency measurements.
- :mod:`streams.bench.faust_baseline`: the plain Faust app (its own process).
- :mod:`streams.bench.runner`: the stages, the results files, ``cmd_bench``.
"""

from __future__ import annotations

from streams.bench.runner import cmd_bench

__all__ = ["cmd_bench"]
