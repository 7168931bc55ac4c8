"""`make run` end to end: services, migrations, demo data, web + worker + beat, Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from tests.conftest import ROOT, free_port, subprocess_env, wait_for


def test_make_run_brings_up_a_healthy_system_and_ctrl_c_stops_it():
    """Runs scripts/stack.py run (what `make run` runs) against a database of its own."""
    import psycopg

    name = f"crm_run_{os.getpid()}"
    port = free_port()
    base = subprocess_env()["DATABASE_URL"].rsplit("/", 1)[0]
    env = subprocess_env(
        DATABASE_URL=f"{base}/{name}",
        PORT=str(port),
        DJANGO_SETTINGS_MODULE="crm.settings",
        HEARTBEAT_INTERVAL="2",
    )
    env.pop("SECRET_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "scripts/stack.py", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:

        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    return r.status == 200
            except OSError:
                return False

        assert wait_for(healthy, timeout=120, interval=1), "the system never became healthy"
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        assert f"crm: the CRM runs at http://127.0.0.1:{port}/" in output
        assert "kovacs.anna" in output and "sales rep" in output
        assert "crm: stopping the web server, the worker and beat" in output
        time.sleep(1)
        left = subprocess.run(
            ["pgrep", "-f", f"runserver 127.0.0.1:{port}"], capture_output=True, text=True
        )
        assert left.stdout.strip() == "", "the web server outlived Ctrl-C"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
