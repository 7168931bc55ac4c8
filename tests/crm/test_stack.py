"""`make run` / `make test` set-up: each mistake a newcomer can make is one line, no traceback."""

import os
import shutil
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT, free_port, run_python


def stack(*args: str, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(env_overrides)
    return run_python("scripts/stack.py", *args, env=env, timeout=60)


def assert_one_line(result, *fragments: str) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_an_unreachable_database_url_is_one_line():
    port = free_port()
    result = stack("env", DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/crm")
    assert_one_line(
        result, "crm: PostgreSQL from DATABASE_URL", f"127.0.0.1:{port}", "fix DATABASE_URL"
    )


def test_a_database_url_of_another_kind_is_one_line():
    result = stack("env", DATABASE_URL="mysql://root@127.0.0.1/crm")
    assert_one_line(result, "DATABASE_URL must start with postgres://")


def test_a_wrong_database_user_is_one_line():
    result = stack("env", DATABASE_URL="postgres://nincs_ilyen_szerep@127.0.0.1:5432/crm")
    assert_one_line(result, "does not work", "nincs_ilyen_szerep")


def test_an_unreachable_redis_is_one_line():
    port = free_port()
    result = stack("env", REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert_one_line(result, "crm: Redis from REDIS_URL does not answer", "fix REDIS_URL")


def test_a_port_in_use_is_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = stack("run", PORT=str(port))
    assert_one_line(result, f"port {port} for the web server is already in use", "PORT=")


def test_a_bad_port_is_one_line():
    assert_one_line(stack("run", PORT="nyolcezer"), "PORT='nyolcezer' is not a port number")


def test_env_finds_the_local_servers_and_creates_the_database():
    result = stack("env", DATABASE_URL="postgres://postgres@127.0.0.1:5432/crm_stack_probe")
    try:
        assert result.returncode == 0, result.stdout
        assert "DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_stack_probe" in result.stdout
        assert "crm: created database crm_stack_probe" in result.stdout
    finally:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-c",
                "DROP DATABASE IF EXISTS crm_stack_probe",
            ],
            capture_output=True,
        )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_missing_nodejs_is_one_line(tmp_path):
    """make with a PATH that has a shell but no npm, and package.json newer than node_modules."""
    (tmp_path / "sh").symlink_to("/bin/sh")
    result = subprocess.run(
        [
            shutil.which("make"),
            "-s",
            "-W",
            "package.json",
            "node_modules/.package-lock.json",
            "SHELL=/bin/sh",
        ],
        cwd=ROOT,
        env={"PATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert result.stdout.strip() == (
        "crm: Node.js is missing (npm not found): install it (apt-get install nodejs npm),"
        " or use docker compose up"
    )


def test_make_help_lists_the_targets():
    result = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True)
    for target in ("run", "test", "lint", "format", "messages"):
        assert f"make {target} " in result.stdout


def test_the_translations_compile_without_gettext(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import stack
    finally:
        sys.path.pop(0)
    mo = ROOT / "locale" / "hu" / "LC_MESSAGES" / "django.mo"
    if mo.exists():
        mo.unlink()
    stack.compile_translations()  # polib, through crm.i18n
    assert mo.exists() and mo.stat().st_size > 1000
