"""``liudong bench [--quick]``: throughput, latency, replay, scale-out and memory, measured in
one run on one broker this command starts itself (loopback only), each figure beside the
baseline it is compared with. See :mod:`benchmarks.runner` for what runs in which order.

- :mod:`benchmarks.stats`: percentiles, ratios, targets and the markdown table (pure).
- :mod:`benchmarks.corpus`: the signed event set, published once and cloned per stage.
- :mod:`benchmarks.measure`: raw consume, group progress and the first outputs after a restart.
- :mod:`benchmarks.latency`: raw round trips and the pipeline's latency at a paced rate.
- :mod:`benchmarks.processes`: the measured child processes (peak memory, CPU).
- :mod:`benchmarks.faust_baseline`: the plain Faust app (its own process).
- :mod:`benchmarks.runner`: the stages in order, ``cmd_bench``.
- :mod:`benchmarks.rows`: each stage's figures as table rows, with baselines and targets.
- :mod:`benchmarks.results`: the results files and the text of the table.
"""

from __future__ import annotations

from benchmarks.runner import cmd_bench

__all__ = ["cmd_bench"]
