"""Fixtures shared by every test: users, a real SMTP server on loopback, subprocess helpers."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty test cache (Redis database 15)."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language, whatever an earlier test in the same process
    (an xdist worker runs many) left active."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def eager():
    """Celery runs the task in the test's thread (for the tests about the service)."""
    from crm.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def user(db):
    return UserFactory(username="kiss.janos", first_name="János", last_name="Kiss")


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """An SMTP server's handler that keeps what it receives, or refuses with a set code."""

    def __init__(self):
        self.messages = []
        self.refuse_with = None
        # One-off answers, used in order before falling back to refuse_with / accepting.
        self.answers: list[str] = []
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        if self.answers:
            return self.answers.pop(0)
        if self.refuse_with:
            return self.refuse_with
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def parsed(self):
        """The received messages as email.message.EmailMessage objects."""
        import email
        from email import policy

        return [
            email.message_from_bytes(e.original_content or e.content, policy=policy.default)
            for e in self.messages
        ]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's SMTP backend is pointed at it."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        controller.stop()


def subprocess_env(**overrides) -> dict:
    """The environment for a child process (manage.py, gunicorn, celery) of this test run."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": (
                f"postgres://{db['USER'] or ''}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}"
                f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
            ),
            "TEST_REDIS_URL": settings.REDIS_URL,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def wait_for(predicate, timeout: float = 30, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return None


def run_python(*args: str, env: dict | None = None, timeout: float = 120):
    return subprocess.run(
        [PYTHON, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class PrivatePostgres:
    """A throwaway PostgreSQL server of its own, for tests that stop the database."""

    def __init__(self, base: Path):
        import glob
        import shutil

        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        found = shutil.which("pg_ctl")
        self.bindir = (
            Path(found).parent if found else (Path(candidates[-1]).parent if candidates else None)
        )
        self.base = base
        self.data = base / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    def start(self) -> None:
        import shutil

        self.base.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        subprocess.run(
            self._cmd("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"),
            check=True,
            capture_output=True,
        )
        opts = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            self._cmd(
                "pg_ctl",
                "-D",
                str(self.data),
                "-o",
                opts,
                "-l",
                str(self.base / "log"),
                "-w",
                "start",
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"),
            check=False,
            capture_output=True,
        )


@pytest.fixture
def private_postgres():
    import shutil
    import tempfile

    server = PrivatePostgres(Path(tempfile.mkdtemp(prefix="crm-pg-")))
    if server.bindir is None:
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.base, ignore_errors=True)
