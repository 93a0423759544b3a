"""A worker's time split from a py-spy profile: pure work, framework, waits.

:class:`Profiler` runs ``py-spy record`` on a worker process while the bench measures it
(``--nonblocking``: the worker is never paused; ``--idle``: waiting samples are kept), and
stops it with SIGINT, on which py-spy writes its samples: one line per distinct stack,
``thread (tid): name;frame;...;frame count``.

:func:`split` (pure, no I/O) sorts the event loop thread's samples: **pure work** when the
stack holds a frame of the decisions themselves (the codec, signatures, the rules and the
cases engine, the contracts, pydantic, libsodium); **waits** when the loop is idle in its
selector; **framework** otherwise (Faust, aiokafka, mode, asyncio, the agents' plumbing and
the runtime). Other threads (Faust's consumer thread) are counted apart.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Frames of the pure work, matched in py-spy's "function (file:line)" text.
PURE = (
    "streams/codec.py",
    "streams/signing.py",
    "agents/gate_rules.py",
    "agents/registry.py",
    "agents/case_rules.py",
    "agents/arrival_rules.py",
    "agents/assistance_rules.py",
    "agents/takeover_rules.py",
    "agents/case_moves.py",
    "agents/case_state.py",
    "agents/case_step.py",
    "agents/early_answers.py",
    "agents/derivation.py",
    "agents/partition_cases.py",
    "agents/campaign_",
    "agents/coverage_rules.py",
    "contracts/agreement_terms.py",
    "contracts/",
    "pydantic/",
    "pydantic_core/",
    "nacl/",
    "cryptography/",
)
# A thread waiting for something to do: the loop in its selector, a thread on a lock or queue.
IDLE = (
    "select (selectors.py",
    "poll (selectors.py",
    "wait (threading.py",
    "_wait_for_tstate_lock (threading.py",
    "get (queue.py",
)
MAIN = "MainThread"
RATE_HZ = 67


@dataclass(frozen=True, slots=True)
class Stack:
    thread: str
    frames: tuple[str, ...]
    count: int


@dataclass(frozen=True, slots=True)
class Split:
    samples: int  # the event loop thread's
    pure: int
    framework: int
    waits: int
    other_threads_busy: int  # samples of other threads not waiting
    other_threads: int

    def share(self, part: int) -> float | None:
        return part / self.samples if self.samples else None


def parse(lines: Iterable[str]) -> list[Stack]:
    out = []
    for line in lines:
        line = line.rstrip("\n")
        head, _, count = line.rpartition(" ")
        if not head or not count.isdigit():
            continue
        thread, _, rest = head.partition(";")
        name = thread.split(": ", 1)[-1]
        out.append(Stack(name, tuple(rest.split(";")) if rest else (), int(count)))
    return out


def is_pure(stack: Stack) -> bool:
    return any(marker in frame for frame in stack.frames for marker in PURE)


def is_wait(stack: Stack) -> bool:
    leaf = stack.frames[-1] if stack.frames else ""
    return any(marker in leaf for marker in IDLE)


def split(stacks: Sequence[Stack]) -> Split:
    pure = framework = waits = busy = others = 0
    for stack in stacks:
        if stack.thread != MAIN:
            others += stack.count
            if not is_wait(stack):
                busy += stack.count
            continue
        if is_wait(stack):
            waits += stack.count
        elif is_pure(stack):
            pure += stack.count
        else:
            framework += stack.count
    return Split(pure + framework + waits, pure, framework, waits, busy, others)


def top_frames(stacks: Sequence[Stack], n: int = 25) -> tuple[list[tuple[str, int]], ...]:
    """The event loop thread's busiest frames: by own samples (the leaf) and by samples
    under them (inclusive), waits left out."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    for stack in stacks:
        if stack.thread != MAIN or is_wait(stack) or not stack.frames:
            continue
        own[stack.frames[-1]] += stack.count
        for frame in set(stack.frames):
            under[frame] += stack.count
    return own.most_common(n), under.most_common(n)


def summary(stacks: Sequence[Stack], n: int = 25) -> str:
    """The flame summary kept beside the results: the split and the top frames."""
    s = split(stacks)
    own, under = top_frames(stacks, n)
    lines = [
        f"event loop thread: {s.samples} samples; pure work {s.pure}, framework "
        f"{s.framework}, waits {s.waits}; other threads busy {s.other_threads_busy} of "
        f"{s.other_threads}",
        "",
        f"top {n} frames by own samples (busy, event loop thread):",
    ]
    lines += [f"{count:8d}  {frame}" for frame, count in own]
    lines += ["", f"top {n} frames by samples under them (busy, event loop thread):"]
    lines += [f"{count:8d}  {frame}" for frame, count in under]
    return "\n".join(lines)


class Profiler:
    """``py-spy record`` on one process, from :meth:`start` to :meth:`stop`."""

    def __init__(self, pid: int, out: Path, log: Path) -> None:
        self.pid = pid
        self.out = out
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.error: str | None = None

    def start(self) -> None:
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        argv = [
            spy, "record", "--pid", str(self.pid), "--format", "raw", "--rate", str(RATE_HZ),
            "--idle", "--threads", "--nonblocking", "--output", str(self.out),
        ]  # fmt: skip
        try:
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        except OSError as exc:
            self.error = f"py-spy did not start: {exc}"

    def stop(self, timeout_s: float = 30.0) -> list[Stack] | None:
        """The samples, or None (``error`` says why)."""
        if self.proc is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if not self.out.exists():
            self.error = f"py-spy wrote no samples (see {self.log})"
            return None
        return parse(self.out.read_text(errors="replace").splitlines())
