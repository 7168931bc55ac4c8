"""Sessions kept in the database and read from Redis (Django's ``cached_db``): a signed-in page
reads its session with one cache round trip instead of a query. The database stays the
record, so sessions survive a Redis restart; while Redis cannot be reached, sessions are read
from the database and pages keep working (Django's store would fail there on writing the cache
after a database read)."""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

log = logging.getLogger(__name__)


class SessionStore(CachedDBStore):
    cache_key_prefix = "crm.sessions."

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # noqa: BLE001 - an unreachable cache, or a key it refuses
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:  # noqa: BLE001
            log.warning("sessions: the cache cannot be reached; read from the database")
        return data
