"""The checks behind ``/healthz``: database, Redis, and the age of the worker's heartbeat."""

from dataclasses import asdict, dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone


@dataclass
class Check:
    ok: bool
    error: str = ""
    detail: dict | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


def _reason(exc: BaseException) -> str:
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        connection.close_if_unusable_or_obsolete()
        return Check(ok=False, error=_reason(exc))
    return Check(ok=True)


def check_redis() -> Check:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return Check(ok=False, error=_reason(exc))
    finally:
        client.close()
    return Check(ok=True)


def check_worker(database_ok: bool) -> Check:
    from .models import WorkerHeartbeat

    if not database_ok:
        return Check(ok=False, error="unknown: the database is not reachable")
    try:
        beat = WorkerHeartbeat.objects.filter(queue="celery").first()
    except DatabaseError as exc:
        return Check(ok=False, error=_reason(exc))
    if beat is None:
        return Check(ok=False, error="no heartbeat yet: is the Celery worker (and beat) running?")
    age = (timezone.now() - beat.beat_at).total_seconds()
    detail = {
        "last_heartbeat": beat.beat_at.isoformat(),
        "age_seconds": round(age, 1),
        "max_age_seconds": settings.HEARTBEAT_MAX_AGE,
        "worker": beat.hostname,
    }
    if age > settings.HEARTBEAT_MAX_AGE:
        return Check(ok=False, error="heartbeat too old", detail=detail)
    return Check(ok=True, detail=detail)


def report() -> tuple[bool, dict]:
    database = check_database()
    checks = {
        "database": database,
        "redis": check_redis(),
        "worker": check_worker(database.ok),
    }
    healthy = all(c.ok for c in checks.values())
    return healthy, {
        "status": "ok" if healthy else "error",
        "checks": {name: c.as_dict() for name, c in checks.items()},
        "time": timezone.now().isoformat(),
    }


def record_heartbeat(*, queue: str = "celery", hostname: str = "") -> None:
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        queue=queue, defaults={"beat_at": timezone.now(), "hostname": hostname[:255]}
    )
