"""Per-channel, per-minute caps, counted in Redis so every worker shares them."""

from datetime import timedelta

import redis
from django.conf import settings
from django.utils import timezone

_client = None


def _redis():
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _client


def _window() -> str:
    return timezone.now().strftime("%Y%m%d%H%M")


def next_window():
    now = timezone.now()
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def acquire(channel: str, wanted: int) -> int:
    """How many of ``wanted`` messages may go out in this minute (all, without a cap)."""
    cap = settings.MESSAGING_RATE_PER_MINUTE.get(channel, 0)
    if not cap or wanted <= 0:
        return wanted
    key = f"crm:rate:{settings.REDIS_URL.rsplit('/', 1)[-1]}:{channel}:{_window()}"
    client = _redis()
    used = client.incrby(key, wanted)
    client.expire(key, 120)
    if used <= cap:
        return wanted
    over = min(used - cap, wanted)
    client.decrby(key, over)
    return wanted - over
