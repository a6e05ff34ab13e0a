"""Settings, all from the environment.

Unset, everything falls back to the embedded default: SQLite in ``var/`` and the in-memory
channel layer. ``DJANGO_ENV=production`` turns the safety checks on: no in-memory layer, no
generated secret key, no wildcard host.
"""

import contextlib
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from restaurant.core.cache_headers import cache_headers

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))


def _owned_and_open(path: Path) -> bool:
    """True for a path of this user's that others may read or enter."""
    st = path.stat()
    return st.st_uid == os.geteuid() and bool(st.st_mode & 0o077)


def _make_private_dir(path: Path) -> None:
    """Create ``path`` 0700, or tighten it to 0700 if it is ours and open to others: var/ holds
    the secret key and the SQLite database with every session. A sticky directory (VAR_DIR=/tmp)
    is shared by design and left alone; the files in it are still made 0600."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if _owned_and_open(path) and not path.stat().st_mode & 0o1000:
        path.chmod(0o700)


def _make_private_sqlite(name: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would use 0644), and tighten one left
    open by an earlier version; SQLite gives its -wal and -shm files the database's mode."""
    if name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if not path.parent.is_dir():
        return  # SQLite will say so when it connects
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, Path(f"{name}-wal"), Path(f"{name}-shm")):
        if file.exists() and _owned_and_open(file):
            file.chmod(0o600)


env = environ.Env()
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ("development", "production"):
    # "Production" or "prod" would otherwise run as development: DEBUG allowed, any key.
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    # DEBUG pages show settings, SQL and tracebacks to anyone who makes an error happen.
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")


def _embedded_secret_key() -> str:
    """A per-checkout random key kept in var/, so sessions survive restarts of `make run`."""
    _make_private_dir(VAR_DIR)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # Several processes may start at once on a fresh var/ (workers): each writes its own
        # file whole, and the first to link it as `secret_key` wins; nobody reads half a key.
        mine = VAR_DIR / f".secret_key.{os.getpid()}"
        mine.write_text(secrets.token_urlsafe(50))
        mine.chmod(0o600)
        try:
            os.link(mine, key_file)
        except FileExistsError:
            pass
        finally:
            mine.unlink()
    return key_file.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = _embedded_secret_key()
if PRODUCTION and not (
    # Django's own rule (security check W009), an error here rather than a warning nobody reads.
    len(SECRET_KEY) >= SECRET_KEY_MIN_LENGTH
    and len(set(SECRET_KEY)) >= SECRET_KEY_MIN_UNIQUE_CHARACTERS
    and not SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak for production: it needs {SECRET_KEY_MIN_LENGTH}+ characters, "
        f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS}+ distinct ones, and no "
        f"'{SECRET_KEY_INSECURE_PREFIX}' prefix (e.g. python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS may not contain '*' in production")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL_DEFAULT = "http://127.0.0.1:8000"
# Unset, table links follow the address `serve` (make run) serves: restaurant/tables/links.py.
SITE_URL = env.str("SITE_URL", default=SITE_URL_DEFAULT).rstrip("/")
# Proxies whose X-Forwarded-For is believed (addresses, networks, `unix` for a unix-socket
# peer): restaurant/core/client_address.py. Empty: the connection's peer is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

INSTALLED_APPS = [
    "daphne",
    # Django's admin on our site: managers and superusers only (restaurant/venues/admin_site.py).
    "restaurant.venues.admin_apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "restaurant.core",
    "restaurant.venues",
    "restaurant.menu",
    "restaurant.tables",
    "restaurant.dining",
    "restaurant.kitchen",
    "restaurant.printing",
    "restaurant.billing",
    "restaurant.floor",
    "restaurant.site",
    "restaurant.realtime",
]

MIDDLEWARE = [
    # First: its headers go on every response (static files and errors included), and the
    # methods it refuses reach nothing else.
    "restaurant.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "restaurant" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_make_private_dir(VAR_DIR)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every sync_to_async thread would keep its own persistent connection
    # (CONN_MAX_AGE leaks); a bounded pool shared by all threads keeps the count fixed.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=2),
        "max_size": env.int("DB_POOL_MAX", default=20),
        "timeout": 10,
    }
    # With a pool, Django checks each connection (psycopg_pool's check_connection, an empty
    # query) before handing it out: after a PostgreSQL restart every pooled connection is
    # dead, and without the check each request that drew one failed with 500 until the pool
    # had cycled through them all.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Test databases named per test run (`make test` sets it): two runs on one server (two
    # checkouts, or CI beside a developer) would otherwise drop each other's test_<db>_gwN.
    if run_id := env.str("TEST_RUN_ID", default=""):
        name = DATABASES["default"]["NAME"]
        DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_{name}_{run_id}"
    # Threads that run the sockets' database work (restaurant/realtime/db.py).
    DB_THREADS = min(
        env.int("DB_THREADS", default=4), DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    )
else:
    DB_THREADS = 1  # SQLite takes one writer at a time anyway
    _make_private_sqlite(str(DATABASES["default"]["NAME"]))
    # WAL lets readers run while a writer commits; the timeout waits for the lock instead
    # of failing with "database is locked" when two processes write at once.
    # synchronous=NORMAL is WAL's recommended durability (safe against a crash of the app).
    # One persistent connection per thread: under ASGI all ORM work of a process runs in one
    # thread, and reopening SQLite for every call cost more than the query.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer --------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CHANNEL_PREFIX = env.str("CHANNEL_PREFIX", default="asgi")
# The channel layer: "pubsub" (the default) is channels_redis' RedisPubSubChannelLayer, one
# PUBLISH per event and memberships held in the process; "redis" is RedisChannelLayer, which
# keeps groups and messages in Redis (at-least-once to a live process, but each send costs
# four round trips: docs/performance.md, sitting 7). With pubsub, an event published while a
# process is cut off from Redis is gone; the process then closes its sockets with 4503 and
# they resync (restaurant/realtime/layers.py), as it does when Redis comes back empty.
CHANNEL_LAYER = env.str("CHANNEL_LAYER", default="pubsub")
# Several URLs, comma-separated, shard the layer over several Redis servers.
REDIS_HOSTS: list = [url.strip() for url in REDIS_URL.split(",") if url.strip()]


def sentinel_addresses(value: str) -> list[tuple[str, int]]:
    """``"10.0.0.11:26379,[::1]:26379"`` -> ``[("10.0.0.11", 26379), ("::1", 26379)]``.
    Raises ImproperlyConfigured on an entry without a numeric port."""
    addresses = []
    for entry in (e.strip() for e in value.split(",") if e.strip()):
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(f"REDIS_SENTINELS: {entry!r} is not host:port")
        addresses.append((host.strip("[]"), int(port)))
    return addresses


# Redis Sentinel instead of REDIS_URL (docs/redis-sentinel.md): the layer asks the Sentinels
# where the primary is and follows a failover by itself. One Sentinel-managed primary, no
# shards; both at once would leave unclear which Redis is the truth, so that is refused.
REDIS_SENTINELS = sentinel_addresses(env.str("REDIS_SENTINELS", default=""))
REDIS_SENTINEL_MASTER = env.str("REDIS_SENTINEL_MASTER", default="restaurant")
if REDIS_SENTINELS and REDIS_URL:
    raise ImproperlyConfigured("Set REDIS_URL or REDIS_SENTINELS, not both")
if REDIS_SENTINELS:
    REDIS_HOSTS = [
        {
            "master_name": REDIS_SENTINEL_MASTER,
            "sentinels": REDIS_SENTINELS,
            # Without a timeout, a Sentinel machine that drops packets would stall every
            # lookup of the primary for the kernel's connect timeout (minutes).
            "sentinel_kwargs": {
                "password": env.str("REDIS_SENTINEL_PASSWORD", default="") or None,
                "socket_timeout": 2,
            },
            "password": env.str("REDIS_PASSWORD", default="") or None,
            "db": env.int("REDIS_DB", default=0),
            # Above the Redis layer's 5 s BZPOPMIN wait, as its own pool for URLs has: redis-py
            # reads with a 5 s timeout by default, so a quiet socket looked like a lost Redis.
            "socket_timeout": 10,
        }
    ]
    if CHANNEL_LAYER != "pubsub":
        # channels_redis' Sentinel pool raises MaxConnectionsError past its size instead of
        # waiting (restaurant/realtime/layers.py): as large as the layer's own pool.
        REDIS_HOSTS[0]["max_connections"] = env.int("REDIS_POOL_SIZE", default=200)
if REDIS_HOSTS and CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "restaurant.realtime.layers.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": REDIS_HOSTS,
                "prefix": CHANNEL_PREFIX,
            },
        }
    }
elif REDIS_HOSTS:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "restaurant.realtime.layers.RedisChannelLayer",
            "CONFIG": {
                "hosts": REDIS_HOSTS,
                "prefix": CHANNEL_PREFIX,
                "capacity": env.int("CHANNEL_CAPACITY", default=1000),
                "expiry": 60,
                "group_expiry": env.int("CHANNEL_GROUP_EXPIRY", default=86400),
                "pool_size": env.int("REDIS_POOL_SIZE", default=200),
            },
        }
    }
else:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "REDIS_URL must be set when DJANGO_ENV=production (or REDIS_SENTINELS): the "
            "in-memory channel layer cannot join worker processes"
        )
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Cache (rate-limit counters): shared through Redis when there is one ------------------
# Under Sentinel the cache stays in each process's memory: Django's RedisCache opens a fixed
# URL and cannot follow a failover, and the primary found at start-up would be the dead one
# afterwards, failing every page that counts a miss. What is lost is sharing: the token-miss
# counters (restaurant/tables/guard.py, a signal, not a lock) count per worker process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL.split(",")[0].strip(),
            "KEY_PREFIX": f"{CHANNEL_PREFIX}-cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth, sessions, security ---------------------------------------------------------------
# Accounts are staff only (diners have none): long passwords, checked when set through the
# admin or createsuperuser.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes; its attempts live in the database, shared by all workers).
# Locked per username AND client address: guessing a cook's password from one phone locks
# that pair only, so an attacker cannot lock the staff out from their own tablets, nor one
# user from everywhere. It heals after the cool-off; a success clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Roles per restaurant (restaurant/venues/roles.py) through Django's permission API.
    "restaurant.venues.roles.RoleBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
# REMOTE_ADDR only: the ASGI layer has put the proxy-checked client address there.
AXES_CLIENT_IP_CALLABLE = "restaurant.core.login.client_address"
AXES_LOCKOUT_CALLABLE = "restaurant.core.login.locked_out"
# Staff sign in on the product's own page (restaurant/venues/views.py); the admin keeps its own
# for managers.
LOGIN_URL = "staff-login"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind TLS (production) cookies are secure, HTTP redirects to HTTPS and HSTS is on; each can
# be turned off by its variable for a plain-HTTP deployment on a private network.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
# nginx sets X-Forwarded-Proto; trust it only from the proxy in front.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"


def socket_origins(site_url: str) -> list[str]:
    """The Origins a socket may come from, scheme and port included: the site's own (each
    allowed host at ``site_url``'s scheme and port) and CSRF_TRUSTED_ORIGINS. Where HTTP
    redirects to HTTPS the pages are https ones whatever SITE_URL says, and only https
    origins count. WS_ALLOWED_ORIGINS replaces the list."""
    site = urlsplit(site_url)
    scheme = "https" if SECURE_SSL_REDIRECT else site.scheme
    port = f":{site.port}" if site.port and scheme == site.scheme else ""
    hosts = [site.hostname or ""] + [
        host for host in ALLOWED_HOSTS if host and host != "*" and not host.startswith(".")
    ]
    origins = [f"{scheme}://{host}{port}" for host in hosts if host] + CSRF_TRUSTED_ORIGINS
    if SECURE_SSL_REDIRECT:
        origins = [o for o in origins if o.startswith("https://")]
    return list(dict.fromkeys(o.lower().rstrip("/") for o in origins))


WS_ALLOWED_ORIGINS = env.list("WS_ALLOWED_ORIGINS", default=None) or socket_origins(SITE_URL)
if PRODUCTION and not WS_ALLOWED_ORIGINS:
    # With the HTTPS redirect on, only https origins count: an http SITE_URL leaves none,
    # and every socket would be refused.
    raise ImproperlyConfigured(
        "no socket could connect: SITE_URL (or CSRF_TRUSTED_ORIGINS) must be https:// while "
        "SECURE_SSL_REDIRECT is on, or set WS_ALLOWED_ORIGINS"
    )
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- i18n ------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "restaurant" / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "restaurant" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Hashed names, gzip and Brotli copies, written by collectstatic (restaurant/core/staticfiles.py;
# `make run` runs it). whitenoise serves them in the embedded server, nginx in production.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "restaurant.core.staticfiles.StaticStorage"},
}
WHITENOISE_ADD_HEADERS_FUNCTION = cache_headers  # hashed names: a year, immutable
# Uploaded files (dish photos) are served by nginx in production; by the app itself otherwise
# (`make run`), from MEDIA_ROOT only.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=not PRODUCTION)
MAX_PHOTO_BYTES = env.int("MAX_PHOTO_BYTES", default=8 * 1024 * 1024)

# --- The product ----------------------------------------------------------------------------
RESTAURANT = {
    # Frames above this close the socket with 1009 (enforced by the ASGI server).
    "MAX_MESSAGE_BYTES": 16 * 1024,
    # Token bucket per socket: a burst of RATE_BURST, refilled at RATE_PER_SECOND.
    "RATE_PER_SECOND": env.float("WS_RATE_PER_SECOND", default=15.0),
    "RATE_BURST": env.int("WS_RATE_BURST", default=30),
    # One diner's sockets share one such bucket; one table's sockets share a larger one
    # (per process: restaurant/dining/consumers.py).
    "TABLE_RATE_PER_SECOND": env.float("WS_TABLE_RATE_PER_SECOND", default=100.0),
    "TABLE_RATE_BURST": env.int("WS_TABLE_RATE_BURST", default=200),
    # This many refused messages within RATE_STRIKE_WINDOW seconds closes the socket (4429).
    "RATE_STRIKES": env.int("WS_RATE_STRIKES", default=50),
    "RATE_STRIKE_WINDOW": 10.0,
    # A cart op that waited longer than this for a database thread (an overloaded worker) is
    # refused with `busy` instead of applied late (restaurant/realtime/group_commit.py).
    "OP_QUEUE_SECONDS": env.float("OP_QUEUE_SECONDS", default=2.0),
    # Sockets from one client address, per process (sized for a restaurant's shared Wi-Fi).
    "SOCKETS_PER_ADDRESS": env.int("WS_SOCKETS_PER_ADDRESS", default=500),
    "CONNECTS_PER_SECOND": env.float("WS_CONNECTS_PER_SECOND", default=20.0),
    "CONNECT_BURST": env.int("WS_CONNECT_BURST", default=300),
    # Diners one meal may have: past it the table page's join answers 409 `full`.
    "MAX_DINERS_PER_MEAL": env.int("MAX_DINERS_PER_MEAL", default=60),
    # Token guessing: this many unknown-token lookups per address within the window lock it out.
    "TOKEN_MISS_LIMIT": env.int("TOKEN_MISS_LIMIT", default=100),
    "TOKEN_MISS_WINDOW": 600,
    # Each ASGI process beats this often; silent for 3 beats, its sockets count as offline.
    "HEARTBEAT_SECONDS": env.float("SERVER_HEARTBEAT_SECONDS", default=10.0),
    # The kitchen may take back an order's last status move for this long (`order.recall`).
    "RECALL_SECONDS": env.int("KITCHEN_RECALL_SECONDS", default=120),
    # A diner may nudge a dish (催菜) this long after sending it, where neither the dish nor
    # its station sets a target; then once per dish per cooldown.
    "NUDGE_AFTER_MINUTES": env.int("NUDGE_AFTER_MINUTES", default=20),
    "NUDGE_COOLDOWN_SECONDS": env.int("NUDGE_COOLDOWN_SECONDS", default=300),
}

# The deployment's name, on the landing page of a deployment with several restaurants.
SITE_NAME = env.str("SITE_NAME", default="RestaurantOrder")

# Who may read /metrics without logging in (a Prometheus on the same machine).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
