"""deploy/backup.sh and deploy/restore.sh against the real PostgreSQL: a full round trip."""

import re
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from psycopg import sql

from tests.conftest import ROOT, subprocess_env
from tests.factories import UserFactory

BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"
DUMP_NAME = re.compile(r"crm-\d{8}-\d{6}\.dump")
MEDIA_NAME = re.compile(r"crm-\d{8}-\d{6}-media\.tar\.gz")


def run(script: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(script), *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def script_env(**overrides) -> dict:
    """The test run's environment (DATABASE_URL: the test database) without stray settings."""
    env = subprocess_env(**overrides)
    for name in ("KEEP", "MEDIA_ROOT"):
        if name not in overrides:
            env.pop(name, None)
    return env


def server_connection(dbname: str = "postgres") -> psycopg.Connection:
    """An autocommit connection to the test database's server."""
    db = settings.DATABASES["default"]
    params = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
    }
    return psycopg.connect(
        dbname=dbname, autocommit=True, **{k: v for k, v in params.items() if v is not None}
    )


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(tmp_path):
    user = UserFactory(username="mentes.margit", first_name="Margit", last_name="Mentés")
    media = tmp_path / "media"
    (media / "documents" / "2026").mkdir(parents=True)
    contract = media / "documents" / "2026" / "szerződés.pdf"
    contract.write_bytes(b"%PDF-1.4 the signed contract\n")

    backups = tmp_path / "backups"
    backed_up = run(BACKUP, str(backups), env=script_env(MEDIA_ROOT=str(media)))
    assert backed_up.returncode == 0, backed_up.stderr
    dump, archive = (Path(line) for line in backed_up.stdout.split())
    assert DUMP_NAME.fullmatch(dump.name) and dump.parent == backups and dump.is_file()
    assert MEDIA_NAME.fullmatch(archive.name) and archive.is_file()
    assert archive.name == dump.name.replace(".dump", "-media.tar.gz")
    assert dump.stat().st_mode & 0o077 == 0, "backups must not be readable by other users"

    target = f"crm_restore_{uuid.uuid4().hex[:12]}"
    restored_media = tmp_path / "restored-media"
    with server_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    try:
        env = script_env(MEDIA_ROOT=str(restored_media))
        env["DATABASE_URL"] = with_database(env["DATABASE_URL"], target)
        restored = run(RESTORE, "--yes", str(dump), str(archive), env=env)
        assert restored.returncode == 0, restored.stderr

        table = sql.Identifier(get_user_model()._meta.db_table)
        with server_connection(target) as conn:
            row = conn.execute(
                sql.SQL("SELECT first_name, last_name FROM {} WHERE username = %s").format(table),
                [user.username],
            ).fetchone()
        assert row == ("Margit", "Mentés")
        copy = restored_media / "documents" / "2026" / "szerződés.pdf"
        assert copy.read_bytes() == contract.read_bytes()
    finally:
        with server_connection() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
            )


def test_backup_without_database_url_says_so_in_one_line(tmp_path):
    env = script_env()
    env.pop("DATABASE_URL")
    result = run(BACKUP, str(tmp_path / "backups"), env=env)
    assert result.returncode != 0
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0]
    assert not (tmp_path / "backups").exists()


@pytest.mark.django_db
def test_restore_refuses_without_yes_when_not_on_a_terminal(tmp_path):
    backups = tmp_path / "backups"
    backed_up = run(BACKUP, str(backups), env=script_env())
    assert backed_up.returncode == 0, backed_up.stderr
    (dump,) = backed_up.stdout.split()
    result = run(RESTORE, dump, env=script_env())
    assert result.returncode != 0
    assert "--yes" in result.stderr


@pytest.mark.django_db
def test_keep_limits_the_number_of_backups(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "note.txt").write_text("jegyzet")
    backups = tmp_path / "backups"
    env = script_env(MEDIA_ROOT=str(media), KEEP="2")
    made = []
    for _ in range(3):
        result = run(BACKUP, str(backups), env=env)
        assert result.returncode == 0, result.stderr
        made.append(result.stdout.split()[0])
    dumps = sorted(p.name for p in backups.glob("*.dump"))
    assert dumps == sorted(Path(p).name for p in made[1:])
    assert len(list(backups.glob("*-media.tar.gz"))) == 2
