"""Minimal settings for the relay baseline: Channels and the channel layer, no database.

The layer is the application's own layer class with the application's configuration (the one
CHANNEL_LAYER picks), so that a comparison measures the application, not the layer.
"""

import os

SECRET_KEY = "bench-relay-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INSTALLED_APPS = ["channels"]
DATABASES: dict = {}
USE_TZ = True
ASGI_APPLICATION = "bench.relay.asgi.application"

REDIS_URL = os.environ.get("REDIS_URL", "")
# BENCH_RELAY_LAYER: "app" (default: the application's layer, as CHANNEL_LAYER picks it, with
# its class and configuration), "stock" (channels_redis' own RedisChannelLayer), "pubsub"
# (channels_redis' own RedisPubSubChannelLayer) or "redis" (the application's RedisChannelLayer).
LAYER = os.environ.get("BENCH_RELAY_LAYER", "app")
if LAYER == "app":
    LAYER = "app-" + os.environ.get("CHANNEL_LAYER", "pubsub")
if REDIS_URL and LAYER == "app-pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "restaurant.realtime.layers.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [url.strip() for url in REDIS_URL.split(",") if url.strip()],
                       "prefix": os.environ.get("CHANNEL_PREFIX", "relay")},
        }
    }  # fmt: skip
elif REDIS_URL and LAYER == "stock":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("CHANNEL_PREFIX", "relay"),
                       "capacity": 1000, "expiry": 60},
        }
    }  # fmt: skip
elif REDIS_URL and LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("CHANNEL_PREFIX", "relay")},
        }
    }
elif REDIS_URL:  # "app-redis", "redis"
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "restaurant.realtime.layers.RedisChannelLayer",
            "CONFIG": {
                "hosts": [url.strip() for url in REDIS_URL.split(",") if url.strip()],
                "prefix": os.environ.get("CHANNEL_PREFIX", "relay"),
                "capacity": int(os.environ.get("CHANNEL_CAPACITY", "1000")),
                "expiry": 60,
                "group_expiry": int(os.environ.get("CHANNEL_GROUP_EXPIRY", "86400")),
                "pool_size": int(os.environ.get("REDIS_POOL_SIZE", "200")),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
