"""Benchmark: the instructions each page costs the web process, counted by callgrind.

    make bench-instructions      # after make bench (and make bench-activities) built the data

Why: the p95 figures of ``bench/partners.py`` and ``bench/activities.py`` move with the machine.
On this project's two-core VMs the same code's partner page took between 3.1 and 5.1 ms of CPU
within one hour, and twice as much on another day. Instructions are counted, not timed: the
same code, data and interpreter give the same count on any machine and under any load, so two
versions of a page compare by them even when their timed runs are days apart. They count the
web process only (Python, Django, psycopg's and the Redis client's own work), not PostgreSQL or
Redis; the database's share is what ``bench/partners.py`` prints beside each page as SQL.

How: per screen and persona, a child Python runs under ``valgrind --tool=callgrind`` with the
counting off. It signs in with Django's test client (the production settings and the
benchmark's database, as ``bench/partners.py``), renders the screen's pages ``WARMUP`` times,
then the parent switches the counting on (``callgrind_control``), the child renders
``BENCH_REQUESTS`` (20) pages, cycling the screen's addresses, and the parent switches it off.
The count divided by the pages is printed. Two children run at a time.

Screens: those of ``bench/partners.py`` and, when the activities data set is there, those of
``bench/activities.py``. ``BENCH_ONLY`` (TEXT): the screens whose "screen / persona" contains
TEXT. Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import gc
import importlib
import os
import platform
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import env  # noqa: E402
from bench import partners as bp  # noqa: E402

WARMUP = int(os.environ.get("BENCH_WARMUP", "10"))
READY, DONE = "instructions: ready", "instructions: done"


def child(persona_id: int, count: int, urls: list[str]) -> None:
    """Runs inside valgrind: sign in, warm up, then render ``count`` pages between the
    parent's two switches (files named after this process)."""
    # Django set up as in a web worker, its garbage collector's tuning too
    importlib.import_module("crm.wsgi")
    from django.core.cache import cache
    from django.test import Client

    from crm.models import User

    # A Redis database of this child's own, emptied: what the warm-up caches is fresh, so no
    # entry (kept for a minute, many of them) runs out while the pages are counted.
    cache.clear()

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=persona_id), backend="crm.access.CachingModelBackend")
    for index in range(WARMUP):
        status = client.get(urls[index % len(urls)]).status_code
        if status != 200:
            print(f"instructions: HTTP {status} for {urls[index % len(urls)]}", flush=True)
            sys.exit(1)
    go, stop = _signal_files(os.getpid())
    print(READY, os.getpid(), flush=True)
    _wait_for(go)
    for index in range(count):
        client.get(urls[index % len(urls)])
    # The reference cycles these pages left (a gen0 or gen1 collection's work) are theirs too:
    # collected here, inside the count, not at some later page's expense.
    gc.collect(1)
    print(DONE, flush=True)
    _wait_for(stop)


def _signal_files(pid: int) -> tuple[Path, Path]:
    folder = Path(tempfile.gettempdir())
    return folder / f"crm-instructions-go.{pid}", folder / f"crm-instructions-stop.{pid}"


def _wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.02)
    path.unlink()


def count_one(
    persona_id: int, urls: list[str], count: int, out: Path, redis_url: str
) -> float | str:
    """Instructions a page (in millions), or the reason there is no count."""
    process = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            str(persona_id),
            str(count),
            *urls,
        ],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": redis_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    pid = None
    for line in process.stdout:
        if line.startswith(READY):
            pid = int(line.split()[-1])
            subprocess.run(["callgrind_control", "-i", "on", str(pid)], capture_output=True)
            _signal_files(pid)[0].touch()
        elif line.startswith(DONE) and pid is not None:
            subprocess.run(["callgrind_control", "-i", "off", str(pid)], capture_output=True)
            _signal_files(pid)[1].touch()
        elif line.startswith("instructions: HTTP"):
            process.kill()
            process.wait()
            return line.removeprefix("instructions: ").strip()
    process.wait()
    if process.returncode != 0 or not out.exists():
        return f"failed (exit {process.returncode})"
    totals = re.search(r"^totals:\s*(\d+)", out.read_text(), re.MULTILINE)
    return int(totals.group(1)) / count / 1e6 if totals else "no count"


def screens(personas: dict[str, int], company_id: int) -> list:
    from bench import activities as ba

    found = bp.build_screens(personas, company_id)
    pages = bp.InProcess(personas)
    for screen in found:
        if screen.keyset_after is not None:
            bp.resolve_keyset(screen, pages)
    found += ba.build_screens(personas, company_id)
    return [s for s in found if s.urls and all(s.urls)]


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
        return 0
    if not shutil.which("valgrind"):
        print("bench-instructions: valgrind is missing (apt-get install valgrind)")
        return 1
    os.environ.update(bp.settings_env())
    import django

    django.setup()
    from bench import partner_data
    from crm.models import Company
    from partners.models import Partner

    if not Partner.objects.exists():
        print(f"bench-instructions: {bp.DATABASE} holds no partners; run make bench first")
        return 1
    personas = partner_data.personas()
    bp.close_past_meetings(list(personas.values()))
    company_id = Company.objects.get(name=partner_data.COMPANIES[0][0]).pk
    only = os.environ.get("BENCH_ONLY", "")
    count = int(os.environ.get("BENCH_REQUESTS", "20"))
    chosen = [s for s in screens(personas, company_id) if only in f"{s.label} / {s.persona}"]
    print(
        f"Instructions a page in the web process (callgrind; {count} pages after {WARMUP},"
        f" Django's test client, production settings; Python {platform.python_version()},"
        f" {os.path.realpath(sys.executable)}):\n"
    )
    print(f"{'screen':<28}{'persona':<11}{'M instructions':>15}")
    # Two children at a time, each with a Redis database of its own (BENCH_REDIS_CHILD_DBS)
    free = queue.SimpleQueue()
    for url in env.child_redis_urls()[:2]:
        free.put(url)

    def one(n: int) -> float | str:
        redis_url = free.get()
        try:
            screen = chosen[n]
            return count_one(
                personas[screen.persona], screen.urls, count, workdir / f"{n}.out", redis_url
            )
        finally:
            free.put(redis_url)

    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(2) as pool:
        workdir = Path(folder)
        results = pool.map(one, range(len(chosen)))
        for screen, result in zip(chosen, results, strict=True):
            shown = f"{result:>15.2f}" if isinstance(result, float) else f"  {result}"
            print(f"{screen.label:<28}{screen.persona:<11}{shown}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
