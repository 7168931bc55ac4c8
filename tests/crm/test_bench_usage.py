"""The benchmarks' CPU accounting (bench.processes.CpuSampler): CPU per request of a process
tree, of the machine, and the hypervisor's stolen share, read from /proc."""

import subprocess
import sys
from pathlib import Path

import pytest

from bench.processes import CpuSampler, Usage

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux /proc")

BURN = """
import os, sys, time
def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
done, told = os.pipe()
if os.fork() == 0:  # a child, as a gunicorn worker is the master's
    burn(0.3); os.write(told, b"x"); time.sleep(30); os._exit(0)
burn(0.2)
os.read(done, 1)
sys.stdout.write("ready\\n"); sys.stdout.flush()
time.sleep(30)
"""


def test_a_process_tree_cpu_is_counted_per_request():
    process = subprocess.Popen([sys.executable, "-c", BURN], stdout=subprocess.PIPE, text=True)
    try:
        with CpuSampler(process.pid) as sample:
            assert process.stdout.readline() == "ready\n"  # both have burnt their share
        usage = sample.usage(requests=10)
    finally:
        process.kill()
        process.wait()
    # master 0.2 s + child 0.3 s over 10 requests: 50 ms each (ticks are 10 ms)
    assert 40 <= usage.web_ms <= 70
    assert usage.all_ms >= usage.web_ms * 0.8
    assert 0 <= usage.steal_pct <= 100


def test_no_requests_no_figures():
    with CpuSampler(None) as sample:
        pass
    assert sample.usage(requests=0) == Usage()
