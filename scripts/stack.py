"""Brings up what the CRM needs and runs it (``make run``) or its tests (``make test``).

    python scripts/stack.py run      # services, migrations, demo data, web + worker + beat
    python scripts/stack.py test     # services, then the whole pytest suite (arguments pass on)
    python scripts/stack.py env      # print the DATABASE_URL and REDIS_URL it would use
    python scripts/stack.py bench bench/scoping.py   # a benchmark against the same services

PostgreSQL and Redis are found in this order: ``DATABASE_URL`` / ``REDIS_URL`` when set (they
must work); else the local defaults (127.0.0.1:5432, database ``crm``; 127.0.0.1:6379); else
private instances under ``var/`` started from the installed server binaries; else one line
saying what to install. Every failure a newcomer can cause is one line, not a traceback.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# Taken before anything imports the crm package (whose Celery module sets
# DJANGO_SETTINGS_MODULE), so the children see only what the user set.
ORIGINAL_ENV = dict(os.environ)
VAR = ROOT / "var"
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _port_from_env(variable: str, default: int) -> int:
    text = os.environ.get(variable, str(default)).strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        print(f"crm: {variable}={text!r} is not a port number", flush=True)
        sys.exit(1)
    return int(text)


PRIVATE_PG_PORT = _port_from_env("CRM_PRIVATE_PG_PORT", 54329)
PRIVATE_REDIS_PORT = _port_from_env("CRM_PRIVATE_REDIS_PORT", 63799)


class StackError(Exception):
    """A problem the user can fix; printed as one line."""


def say(message: str) -> None:
    print(f"crm: {message}", flush=True)


# --- PostgreSQL ---------------------------------------------------------------------------


@dataclass
class Started:
    """Private servers this run started, stopped again when it ends."""

    stoppers: list = field(default_factory=list)

    def stop_all(self) -> None:
        for stop in reversed(self.stoppers):
            with contextlib.suppress(Exception):
                stop()
        self.stoppers.clear()


def _pg_parts(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise StackError(
            f"DATABASE_URL must start with postgres:// (got {parts.scheme or 'no scheme'}://);"
            " example: postgres://USER:PASSWORD@HOST:5432/crm"
        )
    try:
        port = parts.port or 5432
    except ValueError:
        raise StackError("DATABASE_URL has a port that is not a number.") from None
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise StackError("DATABASE_URL names no database; add it at the end: .../crm")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": port,
        "user": unquote(parts.username or "") or None,
        "password": unquote(parts.password or "") or None,
        "dbname": name,
    }


def _pg_connect(parts: dict, dbname: str | None = None):
    import psycopg

    kwargs = {k: v for k, v in parts.items() if v is not None and k != "dbname"}
    return psycopg.connect(
        dbname=dbname or parts["dbname"], connect_timeout=3, autocommit=True, **kwargs
    )


def _pg_reason(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def pg_ensure_database(url: str) -> None:
    """Connects to the server of ``url``, creating the database when it does not exist."""
    import psycopg
    from psycopg import sql

    parts = _pg_parts(url)
    try:
        _pg_connect(parts).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc) or f'"{parts["dbname"]}"' not in str(exc):
            raise
    for maintenance in ("postgres", "template1"):
        try:
            conn = _pg_connect(parts, dbname=maintenance)
        except psycopg.OperationalError:
            continue
        with conn:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parts["dbname"])))
                say(f"created database {parts['dbname']}")
            except psycopg.errors.DuplicateDatabase:
                pass
        return
    raise StackError(f"database {parts['dbname']} does not exist and cannot be created there")


def _pg_binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(candidates[-1]).parent if candidates else None


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres account then."""
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser") is None:
        raise StackError("running as root needs runuser to start a private PostgreSQL")
    return ["runuser", "-u", "postgres", "--", *cmd]


def pg_start_private(started: Started) -> str:
    bindir = _pg_binaries()
    if bindir is None:
        raise StackError(
            "no PostgreSQL found: set DATABASE_URL, start PostgreSQL on 127.0.0.1:5432, or install"
            " the server (apt-get install postgresql) so a private one can start under var/;"
            " or use docker compose up"
        )
    base = VAR / "postgres"
    data, run_dir, log = base / "data", base / "run", base / "postgres.log"
    run_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        for path in (run_dir, *(p for p in base.iterdir())):
            with contextlib.suppress(OSError):
                shutil.chown(path, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        say(f"initialising a private PostgreSQL in {data.relative_to(ROOT)}")
        _run(
            _as_postgres_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            "initdb failed",
        )
    url = f"postgres://postgres@127.0.0.1:{PRIVATE_PG_PORT}/crm"
    status = subprocess.run(
        _as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "status"]),
        capture_output=True,
        check=False,
    )
    if status.returncode != 0:
        _require_free_port(PRIVATE_PG_PORT, "CRM_PRIVATE_PG_PORT", "the private PostgreSQL")
        say(f"starting a private PostgreSQL on 127.0.0.1:{PRIVATE_PG_PORT}")
        opts = f"-p {PRIVATE_PG_PORT} -k {run_dir} -c listen_addresses=127.0.0.1"
        _run(
            _as_postgres_user(
                [str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "start"]
            ),
            f"the private PostgreSQL did not start; see {log}",
        )
        started.stoppers.append(
            lambda: subprocess.run(
                _as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                capture_output=True,
                check=False,
            )
        )
    return url


def find_database(started: Started) -> str:
    import psycopg

    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        try:
            pg_ensure_database(url)
        except psycopg.Error as exc:
            parts = _pg_parts(url)
            raise StackError(
                f"PostgreSQL from DATABASE_URL ({parts['host']}:{parts['port']}) does not work:"
                f" {_pg_reason(exc)}; fix DATABASE_URL or start that server"
            ) from None
        return url
    try:
        pg_ensure_database(DEFAULT_DATABASE_URL)
        return DEFAULT_DATABASE_URL
    except psycopg.Error as exc:
        local_reason = _pg_reason(exc)
    try:
        url = pg_start_private(started)
    except StackError as exc:
        raise StackError(f"{exc} (127.0.0.1:5432 said: {local_reason})") from None
    pg_ensure_database(url)
    return url


# --- Redis --------------------------------------------------------------------------------


def _redis_ping(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def redis_start_private(started: Started) -> str:
    server = shutil.which("redis-server")
    if server is None:
        raise StackError(
            "no Redis found: set REDIS_URL, start Redis on 127.0.0.1:6379, or install it"
            " (apt-get install redis-server) so a private one can start under var/;"
            " or use docker compose up"
        )
    base = VAR / "redis"
    base.mkdir(parents=True, exist_ok=True)
    url = f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0"
    with contextlib.suppress(Exception):
        _redis_ping(url)
        return url
    _require_free_port(PRIVATE_REDIS_PORT, "CRM_PRIVATE_REDIS_PORT", "the private Redis")
    say(f"starting a private Redis on 127.0.0.1:{PRIVATE_REDIS_PORT}")
    pidfile = base / "redis.pid"
    _run(
        [
            server,
            "--port",
            str(PRIVATE_REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--dir",
            str(base),
            "--pidfile",
            str(pidfile),
            "--logfile",
            str(base / "redis.log"),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        "the private Redis did not start",
    )
    for _ in range(50):
        with contextlib.suppress(Exception):
            _redis_ping(url)
            break
        time.sleep(0.1)

    def stop() -> None:
        import redis

        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(url, socket_timeout=2).shutdown(nosave=True)

    started.stoppers.append(stop)
    return url


def find_redis(started: Started) -> str:
    import redis

    url = os.environ.get("REDIS_URL", "").strip()
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise StackError("REDIS_URL must start with redis://, e.g. redis://127.0.0.1:6379/0")
        try:
            _redis_ping(url)
        except (redis.RedisError, ValueError) as exc:
            raise StackError(
                f"Redis from REDIS_URL does not answer: {_pg_reason(exc)};"
                " fix REDIS_URL or start that server"
            ) from None
        return url
    try:
        _redis_ping(DEFAULT_REDIS_URL)
        return DEFAULT_REDIS_URL
    except redis.RedisError as exc:
        local_reason = _pg_reason(exc)
    try:
        return redis_start_private(started)
    except StackError as exc:
        raise StackError(f"{exc} (127.0.0.1:6379 said: {local_reason})") from None


# --- helpers ------------------------------------------------------------------------------


def _run(cmd: list[str], failure: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise StackError(f"{failure}: {detail[-1] if detail else 'exit ' + str(result.returncode)}")


def _require_free_port(port: int, variable: str, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise StackError(
                f"port {port} for {what} is already in use; choose another with"
                f" {variable}={port + 1}"
            ) from None


def compile_translations() -> None:
    from crm.i18n import compile_catalogues

    compile_catalogues()


def masked(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def prepare(started: Started) -> dict[str, str]:
    """Finds or starts the services; returns the environment for the child processes."""
    database_url = find_database(started)
    redis_url = find_redis(started)
    compile_translations()
    environment = dict(ORIGINAL_ENV)
    environment.update(
        {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
    )
    return environment


def manage(environment: dict[str, str], *args: str) -> None:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=environment, check=False)
    if result.returncode != 0:
        raise StackError(f"manage.py {' '.join(args)} failed (exit {result.returncode})")


# --- run ----------------------------------------------------------------------------------


def _dev_secret() -> str:
    key_file = VAR / "secret_key"
    if not key_file.exists():
        VAR.mkdir(exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, processes: list[subprocess.Popen], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.3)
    return False


def _stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in processes:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def cmd_run(started: Started) -> int:
    port = _port_from_env("PORT", 8000)
    _require_free_port(port, "PORT", "the web server")
    environment = prepare(started)
    environment.setdefault("DEBUG", "true")
    # Links in mails and the calendar feed name the port actually served.
    environment.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    if environment["DEBUG"].lower() in ("1", "true", "yes", "on"):
        environment.setdefault("SECRET_KEY", _dev_secret())
    manage(environment, "migrate", "--noinput", "-v", "0")
    demo = subprocess.run(
        [PYTHON, "manage.py", "load_demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if demo.returncode != 0:
        print(demo.stdout + demo.stderr, flush=True)
        raise StackError(f"manage.py load_demo failed (exit {demo.returncode})")
    demo_lines = demo.stdout.strip().splitlines()

    def spawn(*args: str) -> subprocess.Popen:
        return subprocess.Popen(list(args), cwd=ROOT, env=environment, start_new_session=True)

    celery = [PYTHON, "-m", "celery", "-A", "crm"]
    # Without a company-information service of their own, the demo gets the local fake one
    # ("Fill from registry" on the new-partner form), on a free port.
    fake_registry = not environment.get("COMPANY_INFO_URL")
    if fake_registry:
        registry_port = _free_port()
        environment["COMPANY_INFO_URL"] = f"http://127.0.0.1:{registry_port}"
    # Likewise a local fake of NAV's taxpayer query (the partner form's tax-number check), with
    # demo credentials it checks as NAV does.
    fake_nav = not environment.get("NAV_TAXPAYER_URL")
    if fake_nav:
        nav_port = _free_port()
        environment.update(
            NAV_TAXPAYER_URL=f"http://127.0.0.1:{nav_port}",
            NAV_LOGIN="demouser1",
            NAV_PASSWORD="demo",
            NAV_SIGNATURE_KEY="demo-signature-key",
            NAV_TAX_NUMBER="12345676-2-41",
        )
    processes = [
        spawn(PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"),
        spawn(*celery, "worker", "--loglevel", "INFO", "--hostname", "worker@%h"),
        spawn(
            *celery, "beat", "--loglevel", "INFO", "--schedule", str(VAR / "celerybeat-schedule")
        ),
    ]
    names = ["web server", "Celery worker", "Celery beat"]
    if fake_registry:
        processes.append(
            spawn(PYTHON, "-m", "crm.integrations.companyinfo_fake", "--port", str(registry_port))
        )
        names.append("demo company-information service")
    if fake_nav:
        processes.append(
            spawn(
                *(PYTHON, "-m", "crm.integrations.nav_fake", "--port", str(nav_port)),
                *("--login", "demouser1", "--password", "demo"),
                *("--signature-key", "demo-signature-key", "--tax-number", "12345676"),
            )
        )
        names.append("demo NAV taxpayer query")
    stop_requested = False

    def on_signal(signum, frame):
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if _wait_for_port(port, processes):
            print("\n" + "=" * 64, flush=True)
            say(f"the CRM runs at http://127.0.0.1:{port}/  (health: /healthz)")
            say(f"database {masked(environment['DATABASE_URL'])}, redis {environment['REDIS_URL']}")
            for line in demo_lines:  # what load_demo printed: the logins and their roles
                print(
                    f"      {line.strip()}" if line.startswith(" ") else f"crm: {line}", flush=True
                )
            say("press Ctrl-C to stop the web server, the worker and beat")
            print("=" * 64 + "\n", flush=True)
        while not stop_requested:
            for name, proc in zip(names, processes, strict=True):
                if proc.poll() is not None:
                    say(f"the {name} stopped (exit {proc.returncode}); stopping the rest")
                    return 1
            time.sleep(0.5)
        say("stopping the web server, the worker and beat")
        return 0
    finally:
        _stop(processes)


# --- test ---------------------------------------------------------------------------------


def cmd_test(started: Started, pytest_args: list[str]) -> int:
    environment = prepare(started)
    chromium = environment.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(chromium).exists():
        if environment.get("CI", "").lower() == "true":
            say(f"Chromium is missing at {chromium}; under CI=true the browser tests will fail")
        else:
            say(
                f"Chromium is missing at {chromium}: the browser tests are skipped"
                " (apt-get install chromium to run them)"
            )
    result = subprocess.run(
        [PYTHON, "-m", "pytest", *pytest_args], cwd=ROOT, env=environment, check=False
    )
    return result.returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "env", "bench"):
        print(__doc__)
        return 2
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    started = Started()
    try:
        if argv[0] == "run":
            return cmd_run(started)
        if argv[0] == "test":
            return cmd_test(started, argv[1:])
        if argv[0] == "bench":
            environment = prepare(started)
            return subprocess.run(
                [PYTHON, *argv[1:]], cwd=ROOT, env=environment, check=False
            ).returncode
        environment = prepare(started)
        started.stoppers.clear()  # leave private servers running for the caller
        print(f"DATABASE_URL={environment['DATABASE_URL']}")
        print(f"REDIS_URL={environment['REDIS_URL']}")
        return 0
    except StackError as exc:
        say(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        started.stop_all()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
