"""The shared cache's Redis backend, with one client object per connection pool.

Django's ``RedisCache`` builds a new ``redis.Redis`` for every cache call (~0.15 ms here: the
client copies its ~170 response callbacks), and every page now makes two or three (the
session, the notice bell). The client is thread-safe and holds no state of its own beyond its
pool, and a ``caches`` entry belongs to one thread: building it once per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
