"""The shortest time rate limits allow for a given set of calls (bench/sync_import.py).

A limit is a sliding window: at most L calls in any W seconds, a call being admitted
when the L-th call before it is at least W old (the fakes' `RollingWindow` drops entries
`<= now - W`, so exactly W old is old enough). With calls taking no time, the earliest
schedule is greedy: the k-th call goes at max(the previous call, the (k-L)-th call + W)
over every window of its upstream; for one window that puts the last of N calls at
floor((N-1)/L)*W. Greedy is optimal here because every constraint only looks backwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Windows = Sequence[tuple[int, float]]  # (limit, period seconds)


class Pacer:
    """Admission times of one upstream's calls under its windows, all calls taking no time."""

    def __init__(self, windows: Windows) -> None:
        self.windows = [(limit, period) for limit, period in windows if limit > 0]
        self.times: list[float] = []

    def earliest(self, ready: float) -> float:
        """When a call ready at `ready` can go, given the calls admitted so far."""
        at = max(ready, self.times[-1] if self.times else ready)
        for limit, period in self.windows:
            if len(self.times) >= limit:
                at = max(at, self.times[-limit] + period)
        return at

    def admit(self, ready: float) -> float:
        at = self.earliest(ready)
        self.times.append(at)
        return at


def pacing_bound(calls: int, windows: Windows) -> float:
    """Seconds from the first to the last of `calls` calls at the fastest pace `windows` allow."""
    pacer = Pacer(windows)
    for _ in range(calls):
        pacer.admit(0.0)
    return pacer.times[-1] if pacer.times else 0.0


def sequential_bound(
    stages: Iterable[tuple[str, Mapping[str, int]]], windows: Mapping[str, Windows]
) -> tuple[float, list[tuple[str, float]]]:
    """The bound for stages run one after another, each making {upstream: calls}.

    A stage starts when the previous one's last call went; within a stage each upstream's
    calls go as fast as its windows allow, upstreams in parallel (optimistic: a lower
    bound). An upstream's window history carries over from stage to stage.
    Returns (total, [(stage, its share)]).
    """
    pacers = {name: Pacer(w) for name, w in windows.items()}
    now = 0.0
    shares = []
    for stage, calls in stages:
        start = now
        end = start
        for upstream, count in calls.items():
            pacer = pacers[upstream]
            for _ in range(count):
                end = max(end, pacer.admit(start))
        shares.append((stage, end - start))
        now = end
    return now, shares
