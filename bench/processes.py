"""Process helpers the benchmarks share: a free port, waiting for a server, stopping it, and
what a measurement cost the machine (CPU per request, time stolen by the hypervisor)."""

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --------------------------------------------------------------------------- CPU accounting
#
# On a virtual machine the wall-clock figures move with what the neighbours do: the same page
# measured between 3.1 and 5.1 ms of CPU a request within an hour here, sometimes while the
# hypervisor gave the machine's cores to others (the "steal" column of /proc/stat), sometimes
# without. So each measurement also says how much of the two cores was stolen while it ran,
# and how much CPU the web server's processes and the whole machine spent per answered
# request: what a p95 is made of, beside it.

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_line() -> list[int]:
    """The machine's cpu times in ticks: user nice system idle iowait irq softirq steal …"""
    try:
        with open("/proc/stat") as stat:
            return [int(v) for v in stat.readline().split()[1:]]
    except OSError:  # not Linux: nothing to report
        return []


def _process_ticks(pid: int) -> tuple[int, int]:
    """(user + system ticks of the process, its parent's pid); (0, 0) when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0, 0
    return int(fields[11]) + int(fields[12]), int(fields[1])


def _tree_ticks(root: int) -> int:
    """CPU ticks of ``root`` and its children (a gunicorn master and its workers)."""
    total = _process_ticks(root)[0]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ticks, parent = _process_ticks(int(entry))
            if parent == root:
                total += ticks
    return total


@dataclass
class Usage:
    """What one measurement cost the machine: CPU ms per answered request of the web server's
    processes and of the whole machine, and the share of the cores' time stolen by the
    hypervisor (percent)."""

    web_ms: float = 0.0
    all_ms: float = 0.0
    steal_pct: float = 0.0


class CpuSampler:
    """``with CpuSampler(web_pid) as sample: …; sample.usage(requests)``."""

    def __init__(self, web_pid: int | None = None):
        self.web_pid = web_pid

    def __enter__(self):
        self.line = _cpu_line()
        self.web = _tree_ticks(self.web_pid) if self.web_pid else 0
        return self

    def __exit__(self, *exc):
        self.line_end = _cpu_line()
        self.web_end = _tree_ticks(self.web_pid) if self.web_pid else 0
        return False

    def usage(self, requests: int) -> Usage:
        if not self.line or not self.line_end or requests <= 0:
            return Usage()
        delta = [b - a for a, b in zip(self.line, self.line_end, strict=False)]
        idle = delta[3] + (delta[4] if len(delta) > 4 else 0)
        steal = delta[7] if len(delta) > 7 else 0
        busy = sum(delta[:8]) - idle - steal
        ms = 1000 / _TICK
        return Usage(
            web_ms=(self.web_end - self.web) * ms / requests if self.web_pid else 0.0,
            all_ms=busy * ms / requests,
            steal_pct=100 * steal / max(1, sum(delta[:8])),
        )
