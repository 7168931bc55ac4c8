"""Django's Redis cache, with one Redis client object per connection pool instead of a new one
for every cache call: ``redis.Redis()`` builds its table of some 170 response callbacks each
time, which cost about as much as the cache round trip itself (measured: six cache calls per
partner list page spent ~1 ms there). A client is thread-safe; the pool is Django's as before.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients_by_pool", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
