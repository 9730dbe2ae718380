"""12-factor settings: all that differs between a laptop demo and a city comes from env vars."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
import xstatic.pkg.leaflet as xstatic_leaflet
from django.utils.translation import gettext_lazy as _

# Django's generic classes subscriptable at run time (ModelAdmin[User]), as the type hints
# write them for mypy.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent  # src/onegrid
VAR_DIR = Path(os.environ.get("ONEGRID_VAR_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


DEBUG = _env_bool("ONEGRID_DEBUG", False)
PRODUCTION = _env_bool("ONEGRID_PRODUCTION", False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when ONEGRID_PRODUCTION=1")
    # The demo generates one key and keeps it under var/ so sessions survive a restart.
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "onegrid.core",
    "onegrid.territory",
    "onegrid.org",
    "onegrid.cases",
    "onegrid.notify",
    "onegrid.forwarding",
    "onegrid.party",
    "onegrid.volunteers",
    "onegrid.deliberation",
    "onegrid.mediation",
    "onegrid.smart",
    "onegrid.insight",
    "onegrid.residents",
    "onegrid.open311",
    "onegrid.demo",
    "onegrid.web",
]

MIDDLEWARE = [
    # First: request id, request log and metrics for every request, and /healthz, /readyz,
    # /metrics answered before the HTTPS redirect and the host check (config/ops.py).
    "onegrid.config.ops.OpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "onegrid.config.http_errors.JsonErrorsUnderApi",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a throttled sign-in into config/lockout.py's answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "onegrid.config.urls"
WSGI_APPLICATION = "onegrid.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onegrid.web.context.navigation",
            ]
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'onegrid.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if not DATABASE_URL.startswith("sqlite://:memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL with BEGIN IMMEDIATE and a busy timeout lets several processes write without "locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    # A file, not memory, so tests can open several connections (concurrent ticks, servers).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# Sign-in throttling (org/throttling.py): django-axes checks every sign-in first.
AUTHENTICATION_BACKENDS = [
    "onegrid.org.throttling.ThrottledBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Residents sign in with a one-time code sent by SMS too, behind the same axes check.
    "onegrid.residents.auth.CodeBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Leaflet comes from the pinned XStatic-Leaflet package and is served by the app: no CDN.
STATICFILES_DIRS = [("leaflet", xstatic_leaflet.BASE_DIR)]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("ONEGRID_MEDIA_ROOT", VAR_DIR / "media"))
# Media (photos, Party centre files): the file system under MEDIA_ROOT, or with
# ONEGRID_MEDIA_STORAGE=s3 a bucket of any S3-compatible store (django-storages: MinIO, Ceph,
# a cloud's object storage) shared by every app machine. Files are served by the app's views
# after their permission checks, never by a public URL (docs/operations.md "Media").
MEDIA_STORAGE = os.environ.get("ONEGRID_MEDIA_STORAGE", "files").strip().lower()
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("ONEGRID_S3_BUCKET", "onegrid-media"),
            "endpoint_url": os.environ.get("ONEGRID_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ONEGRID_S3_REGION") or None,
            "access_key": os.environ.get("ONEGRID_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("ONEGRID_S3_SECRET_KEY") or None,
            "location": os.environ.get("ONEGRID_S3_PREFIX", ""),
            # "path" for MinIO and most self-hosted stores, "virtual" for cloud buckets.
            "addressing_style": os.environ.get("ONEGRID_S3_ADDRESSING_STYLE") or None,
            "default_acl": None,  # private: the bucket's own policy, never public-read
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif MEDIA_STORAGE != "files":
    raise RuntimeError("ONEGRID_MEDIA_STORAGE must be files or s3")
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

SESSION_COOKIE_AGE = int(os.environ.get("ONEGRID_SESSION_SECONDS", 8 * 3600))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# HTTPS (on by default in production, each switchable): redirect plain HTTP, and HSTS — browsers
# then refuse plain HTTP to this host (and its subdomains) for a year.
SECURE_SSL_REDIRECT = _env_bool("ONEGRID_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = _env_int("ONEGRID_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("ONEGRID_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = _env_bool("ONEGRID_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    # Preloading is a promise to browser vendors that takes months to undo and that a district
    # may not make for its government domain: off unless asked for, so not a deploy warning.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
# Behind nginx (ONEGRID_PROXY_COUNT trusted proxies): the request was HTTPS when the proxy
# says so. nginx must set `X-Forwarded-Proto $scheme` (and X-Forwarded-For, for throttling).
if _env_int("ONEGRID_PROXY_COUNT", 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _tile_origin(url: str) -> str | None:
    """The CSP source of the map tile server: its scheme and host, a `{s}` subdomain as `*`."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None  # no tiles, or tiles served by OneGrid itself ('self')
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


# Content-Security-Policy on every response (django-csp). Scripts only from the app's own
# files (the pages keep their data in json_script tags, never inline code), styles only from
# its style sheets (no style attributes or <style> blocks in the templates; Leaflet and the
# scripts set styles through the DOM, which CSP allows), images also as data:/blob: URLs
# (Leaflet's icons, photos chosen in the field app) and from the map tile server.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": [
            "'self'",
            "data:",
            "blob:",
            *filter(None, [_tile_origin(os.environ.get("ONEGRID_MAP_TILE_URL", ""))]),
        ],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Only the field app's features, only for the app itself: nothing else may use the rest.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": ["self"],
    "microphone": [],
    "payment": [],
    "usb": [],
    "interest-cohort": [],
}

# Background jobs (onegrid.notify deliveries, onegrid.forwarding): Django's tasks framework
# (the django-tasks backport). The embedded default keeps jobs in the database itself
# (django-tasks-db: no extra server, and a job enqueued inside a transaction commits with it);
# ONEGRID_TASKS=rq puts them on Redis (django-tasks-rq, REDIS_URL) for a city. Tests run them
# at once (ImmediateBackend) unless a test chooses otherwise.
TASKS_BACKEND = os.environ.get("ONEGRID_TASKS", "database").strip().lower()
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND],
        "QUEUES": ["default", "notify", "forwarding"],
    }
}
RQ_QUEUES = {
    name: {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), "DEFAULT_TIMEOUT": 60}
    for name in ("default", "notify", "forwarding")
}
# django-rq's defaults for `onegrid rqworker`: django-tasks' jobs only run with django-tasks-rq's
# job class (rq's own fails every one of them); the worker runs each job in its own process
# (rq's SimpleWorker: no fork per job) and stops at once on SIGTERM (notify/rqworkers.py).
RQ = {"JOB_CLASS": "django_tasks_rq.backend.Job", "WORKER_CLASS": "onegrid.notify.rqworkers.Worker"}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

# django-axes, as org/throttling.py uses it: failures in the database (shared by every process
# and host, whatever the cache), limits and back-off decided by its handler.
AXES_HANDLER = "onegrid.org.throttling.BackoffHandler"
AXES_FAILURE_LIMIT = 1  # the handler reports 1 while locked out: its limits decide
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(seconds=_env_int("ONEGRID_SIGNIN_FORGET_SECONDS", 24 * 3600))
AXES_RESET_ON_SUCCESS = True
# A try while locked out is refused unchecked and neither counts nor extends the lockout.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Successful sign-ins are not logged by axes (the token endpoint has no session to tie them to).
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False  # org/admin.py shows the attempts and failures
AXES_LOCKOUT_CALLABLE = "onegrid.config.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "onegrid.org.throttling.client_address"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken", "code"]

# Logs on standard error (journald under systemd). ONEGRID_LOG_FORMAT=json: one JSON object a
# line, each with the request id, and one line per request (config/requestlog.py).
LOG_FORMAT = os.environ.get("ONEGRID_LOG_FORMAT", "text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "onegrid.config.requestlog.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
            "json_ensure_ascii": False,
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ONEGRID_LOG_LEVEL", "WARNING")},
    "loggers": {"onegrid.request": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"}},
}

# Prometheus metrics at /metrics (config/metrics.py): off unless ONEGRID_METRICS is on, then
# only for the ONEGRID_METRICS_ALLOW networks or the bearer ONEGRID_METRICS_TOKEN.
METRICS_ENABLED = _env_bool("ONEGRID_METRICS", False)
METRICS_ALLOW = [
    n.strip() for n in os.environ.get("ONEGRID_METRICS_ALLOW", "127.0.0.1,::1").split(",") if n
]
METRICS_TOKEN = os.environ.get("ONEGRID_METRICS_TOKEN", "")

# --- OneGrid's own knobs (all configurable per district) ---


class SignInThrottle(TypedDict):
    ACCOUNT_FAILURES: int
    ADDRESS_FAILURES: int
    LOCKOUT_SECONDS: int
    MAX_LOCKOUT_SECONDS: int


class HotspotSettings(TypedDict):
    """Hotspots, heat map, repeat places and surge alerts (insight/hotspots.py, alerts.py)."""

    FDR_ALPHA: float
    WEIGHTS: str
    BAND_M: float
    CACHE_SECONDS: int
    HEAT_CELL_M: float
    HEAT_BANDWIDTH_M: float
    HEAT_MAX_SIDE: int
    REPEAT_DAYS: int
    REPEAT_RADIUS_M: float
    REPEAT_MIN_COUNT: int
    ALERT_WINDOW_DAYS: int
    ALERT_RECENT_WINDOWS: int
    ALERT_YEARS: int
    ALERT_P: float
    ALERT_MIN_COUNT: int


class ResidentSettings(TypedDict):
    CODE_LENGTH: int
    CODE_LIFE_SECONDS: int
    CODE_MAX_TRIES: int
    CODE_INTERVAL_SECONDS: int
    CODES_PER_PHONE_HOUR: int
    CODES_PER_ADDRESS_HOUR: int
    ANONYMOUS_REPORTS_PER_HOUR: int


class OneGridSettings(TypedDict):
    """ONEGRID's keys and their types, so that mypy checks the code that reads them."""

    SIGN_IN_THROTTLE: SignInThrottle
    PROXY_COUNT: int
    DISTRICT_CODE: str
    DISTRICT_CODES: str
    CITY_CODE: str
    PHOTO_MAX_BYTES: int
    PHOTO_MAX_PIXELS: int
    PHOTO_VIEW_PX: int
    PHOTO_THUMB_PX: int
    WORKDAY_START: str
    WORKDAY_END: str
    TOKEN_HOURS: int
    ESCALATION_AFTER_HOURS: list[int]
    LOCATOR_RECHECK_SECONDS: float
    CALENDAR_RECHECK_SECONDS: float
    URGENCY_DISPATCH_HOURS: dict[str, int]
    CHECK_HOURS: int
    WHISTLE_REPORT_IN_HOURS: int
    CENTRE_RECTIFICATION_CLASS: str
    VOLUNTEER_CHECK_IN_RADIUS_M: int
    DELIBERATION_COSIGN_MIN: int
    DELIBERATION_COSIGN_PERMILLE: int
    DELIBERATION_COSIGN_DAYS: int
    DELIBERATION_QUORUM: str
    DELIBERATION_MAJORITY: str
    MEDIATION_MONTHS: int
    LEGAL_ANSWER_WORKING_DAYS: int
    RECURRENCE_RADIUS_M: float
    RECURRENCE_DAYS: int
    MAP_TILE_URL: str
    MAP_TILE_ATTRIBUTION: str
    DUPLICATE_RADIUS_M: float
    DUPLICATE_WINDOW_DAYS: int
    DUPLICATE_THRESHOLD: float
    DUPLICATE_HINT_CLASSES: str
    SMART_CALLS_PER_MINUTE: int
    LIVE_POLL_SECONDS: int
    CLASSIFIER_MODEL: str
    UPLOAD_MAX_BYTES: int
    UPLOAD_MAX_INFLATED_BYTES: int
    UPLOAD_MAX_ROWS: int
    LAYER_MAX_FEATURES: int
    LAYER_MAX_VERTICES: int
    LAYER_MAX_POINTS: int
    MAX_NESTING: int
    JSON_MAX_VALUES: int
    EXPORT_MAX_ROWS: int
    PDF_FONT: str
    REPORTS_DIR: str
    HOTSPOTS: HotspotSettings
    SMS_BACKEND: str
    SMS_FILE: str
    OPEN311_POSTS_PER_MINUTE: int
    OPEN311_READS_PER_MINUTE: int
    OPEN311_CONTACT: str
    SMS_URL: str
    SMS_TOKEN: str
    NOTIFY_DUE_SOON_HOURS: float
    NOTIFY_WORKER_SECONDS: float
    NOTIFY_FAN_OUT_WINDOW_SECONDS: int
    NOTIFY_REQUEUE_AFTER_SECONDS: int
    NOTIFY_SEND_TIMEOUT_SECONDS: float
    PUBLIC_PAGE_SIZE: int
    PUBLIC_FEED_MAX_RADIUS_M: int
    PUBLIC_FEED_MAX_ITEMS: int
    PUBLIC_LOOKUPS_PER_MINUTE: int
    RESIDENTS: ResidentSettings
    FORWARDING_TIMEOUT_SECONDS: float
    FORWARDING_RESCAN_SECONDS: int


ONEGRID: OneGridSettings = {
    # Sign-in throttling (org/throttling.py): failures that lock an account or an address, the
    # first lockout (doubled by each further failure, up to the maximum). How long after the
    # last failure they are forgotten is axes' own AXES_COOLOFF_TIME
    # (ONEGRID_SIGNIN_FORGET_SECONDS): one setting for both.
    "SIGN_IN_THROTTLE": {
        "ACCOUNT_FAILURES": _env_int("ONEGRID_SIGNIN_ACCOUNT_FAILURES", 5),
        "ADDRESS_FAILURES": _env_int("ONEGRID_SIGNIN_ADDRESS_FAILURES", 30),
        "LOCKOUT_SECONDS": _env_int("ONEGRID_SIGNIN_LOCKOUT_SECONDS", 60),
        "MAX_LOCKOUT_SECONDS": _env_int("ONEGRID_SIGNIN_MAX_LOCKOUT_SECONDS", 3600),
    },
    # Trusted reverse proxies (nginx) in front of the app: the caller's address is then taken
    # from X-Forwarded-For, as the nearest of them wrote it. 0: REMOTE_ADDR.
    "PROXY_COUNT": _env_int("ONEGRID_PROXY_COUNT", 0),
    "DISTRICT_CODE": os.environ.get("ONEGRID_DISTRICT_CODE", "120113000000"),
    # A city's installation: the districts it serves, comma-separated 6- or 12-digit codes
    # (empty: DISTRICT_CODE alone, which stays the home district), and the city's code (empty:
    # the first 4 digits of DISTRICT_CODE + 00000000). territory.district reads both.
    "DISTRICT_CODES": os.environ.get("ONEGRID_DISTRICT_CODES", ""),
    "CITY_CODE": os.environ.get("ONEGRID_CITY_CODE", ""),
    # Largest photo accepted, in bytes.
    "PHOTO_MAX_BYTES": int(os.environ.get("ONEGRID_PHOTO_MAX_BYTES", 8 * 1024 * 1024)),
    # Most pixels a photo may have (width × height, read from the header before decoding).
    # Phones shoot 12–24 MP by default (their 48–200 MP sensors bin pixels); 40 MP leaves room
    # for those and refuses decompression bombs: a 50 KB PNG of 56 MP decodes to ~220 MB.
    "PHOTO_MAX_PIXELS": int(os.environ.get("ONEGRID_PHOTO_MAX_PIXELS", 40_000_000)),
    # Long side, in pixels, of the copy pages show and of the thumbnail lists show.
    "PHOTO_VIEW_PX": int(os.environ.get("ONEGRID_PHOTO_VIEW_PX", 1600)),
    "PHOTO_THUMB_PX": int(os.environ.get("ONEGRID_PHOTO_THUMB_PX", 320)),
    # Working hours used to count "working hours" time limits, Asia/Shanghai local time.
    "WORKDAY_START": os.environ.get("ONEGRID_WORKDAY_START", "09:00"),
    "WORKDAY_END": os.environ.get("ONEGRID_WORKDAY_END", "17:00"),
    # How long an API token lives, in hours.
    "TOKEN_HOURS": int(os.environ.get("ONEGRID_TOKEN_HOURS", 24 * 30)),
    # Escalation steps after a task's deadline, in working hours: level 1 urge (督办) at the
    # deadline, level 2 whistle to the district (吹哨), level 3 up a level.
    "ESCALATION_AFTER_HOURS": [0, 8, 24],
    # How often a process re-reads the grid layer version (seconds).
    "LOCATOR_RECHECK_SECONDS": float(os.environ.get("ONEGRID_LOCATOR_RECHECK_SECONDS", 2)),
    # How often a process re-reads the holiday schedule's version (seconds).
    "CALENDAR_RECHECK_SECONDS": float(os.environ.get("ONEGRID_CALENDAR_RECHECK_SECONDS", 2)),
    # Dispatch time limits by urgency, in working hours (red / yellow / blue bands).
    "URGENCY_DISPATCH_HOURS": {"red": 2, "yellow": 24, "blue": 72},
    # Limit for the on-site check after feedback, in working hours.
    "CHECK_HOURS": 8,
    # 吹哨报到: a department the street summons reports in within this many working hours.
    "WHISTLE_REPORT_IN_HOURS": _env_int("ONEGRID_WHISTLE_REPORT_IN_HOURS", 2),
    # The case class a Party service centre's rectification item (党群服务中心整改) is reported
    # as (party.centres). The default catalogue has no class for the centres; I0201 (房屋信息变更,
    # the governance office's) is the nearest: a district that keeps its own class sets it here.
    "CENTRE_RECTIFICATION_CLASS": os.environ.get("ONEGRID_CENTRE_RECTIFICATION_CLASS", "I0201"),
    # A volunteer checks in within this many metres of the activity's place, unless the
    # organiser sets another radius for the activity (volunteers.activities).
    "VOLUNTEER_CHECK_IN_RADIUS_M": _env_int("ONEGRID_VOLUNTEER_CHECK_IN_RADIUS_M", 200),
    # 议事协商: a resident's topic goes to the committee once co-signed by this many people on
    # the roll of its place: the larger of a minimum and a share (per mille) of that roll, never
    # more than the roll itself; co-signing stays open this many days.
    "DELIBERATION_COSIGN_MIN": _env_int("ONEGRID_DELIBERATION_COSIGN_MIN", 5),
    "DELIBERATION_COSIGN_PERMILLE": _env_int("ONEGRID_DELIBERATION_COSIGN_PERMILLE", 10),
    "DELIBERATION_COSIGN_DAYS": _env_int("ONEGRID_DELIBERATION_COSIGN_DAYS", 30),
    # A ballot's default quorum (share of the electorate voting or present) and majority (share
    # of the votes cast for): ">1/2" is more than half, ">=2/3" at least two thirds. The
    # committee may set others on a ballot (村民委员会组织法 arts. 22, 23).
    "DELIBERATION_QUORUM": os.environ.get("ONEGRID_DELIBERATION_QUORUM", ">1/2"),
    "DELIBERATION_MAJORITY": os.environ.get("ONEGRID_DELIBERATION_MAJORITY", ">1/2"),
    # 人民调解: a dispute is normally mediated within this many months of its acceptance
    # (人民调解工作若干规定 art. 36: 一般在一个月内调结); a last day on a rest day moves to the
    # next working day.
    "MEDIATION_MONTHS": _env_int("ONEGRID_MEDIATION_MONTHS", 1),
    # The community legal adviser answers a resident's question within this many working days.
    "LEGAL_ANSWER_WORKING_DAYS": _env_int("ONEGRID_LEGAL_ANSWER_WORKING_DAYS", 3),
    # Recurrence rate (§1 常态长效): a report recurs when a case of its class was closed within
    # this many metres of it in the days before (cases.facts). Changing either needs
    # `onegrid rollups rebuild`.
    "RECURRENCE_RADIUS_M": float(os.environ.get("ONEGRID_RECURRENCE_RADIUS_M", 100)),
    "RECURRENCE_DAYS": int(os.environ.get("ONEGRID_RECURRENCE_DAYS", 30)),
    # Optional base map tiles for the live map and the field app, e.g. a city's own tile server
    # "https://tiles.example.gov.cn/{z}/{x}/{y}.png". Empty: grids are drawn as vectors only.
    "MAP_TILE_URL": os.environ.get("ONEGRID_MAP_TILE_URL", ""),
    "MAP_TILE_ATTRIBUTION": os.environ.get("ONEGRID_MAP_TILE_ATTRIBUTION", ""),
    # Likely duplicates (smart/duplicates.py): earlier cases of the same major class within
    # DUPLICATE_RADIUS_M metres and DUPLICATE_WINDOW_DAYS days are scored; a score at or above
    # DUPLICATE_THRESHOLD (fitted with the model, docs/performance.md) is a likely duplicate.
    # A reporter is hinted at cases they may not see only for the classes whose codes start
    # with one of DUPLICATE_HINT_CLASSES (problems in public space, nothing personal).
    "DUPLICATE_RADIUS_M": float(os.environ.get("ONEGRID_DUPLICATE_RADIUS_M", 150)),
    "DUPLICATE_WINDOW_DAYS": int(os.environ.get("ONEGRID_DUPLICATE_WINDOW_DAYS", 14)),
    "DUPLICATE_THRESHOLD": float(os.environ.get("ONEGRID_DUPLICATE_THRESHOLD", 0.43)),
    "DUPLICATE_HINT_CLASSES": os.environ.get(
        "ONEGRID_DUPLICATE_HINT_CLASSES", "A,B01,B02,C01,D01,H01,H02"
    ),
    # The field app's suggest and duplicate checks (smart/api.py) as the reporter types: each
    # costs the server tens of milliseconds, so each takes at most this many calls a minute
    # from one person (debounced, the app sends one a second at the most); over it, a 429.
    "SMART_CALLS_PER_MINUTE": int(os.environ.get("ONEGRID_SMART_CALLS_PER_MINUTE", 60)),
    # How often the live map and the field app ask for news (seconds).
    "LIVE_POLL_SECONDS": int(os.environ.get("ONEGRID_LIVE_POLL_SECONDS", 10)),
    # The report classifier's model (smart.classifier): where `onegrid classifier train` saves it
    # and suggestions read it. One file for every process; replaced atomically by a training run.
    "CLASSIFIER_MODEL": os.environ.get(
        "ONEGRID_CLASSIFIER_MODEL", str(VAR_DIR / "models" / "classifier.npz")
    ),
    # Bounds on what an upload or a JSON body may make a worker do (core/limits.py,
    # core/jsonlimits.py; README "Configuration"), each checked before the work it bounds:
    # a file as uploaded (and a GeoJSON or CSV inside a zip); all that a zip or XLSX unpacks
    # to, declared or real; data rows of a sheet or CSV; a layer file's features, points of one
    # feature's boundary and points of all its features; nesting of JSON and WKT; values in a
    # JSON request body.
    "UPLOAD_MAX_BYTES": int(os.environ.get("ONEGRID_UPLOAD_MAX_BYTES", 50 * 1024 * 1024)),
    "UPLOAD_MAX_INFLATED_BYTES": int(
        os.environ.get("ONEGRID_UPLOAD_MAX_INFLATED_BYTES", 100 * 1024 * 1024)
    ),
    "UPLOAD_MAX_ROWS": int(os.environ.get("ONEGRID_UPLOAD_MAX_ROWS", 500_000)),
    "LAYER_MAX_FEATURES": int(os.environ.get("ONEGRID_LAYER_MAX_FEATURES", 50_000)),
    "LAYER_MAX_VERTICES": int(os.environ.get("ONEGRID_LAYER_MAX_VERTICES", 100_000)),
    "LAYER_MAX_POINTS": int(os.environ.get("ONEGRID_LAYER_MAX_POINTS", 1_500_000)),
    "MAX_NESTING": int(os.environ.get("ONEGRID_MAX_NESTING", 32)),
    "JSON_MAX_VALUES": int(os.environ.get("ONEGRID_JSON_MAX_VALUES", 100_000)),
    # Most rows one list download (CSV or XLSX, web/downloads.py) may hold; a longer list is
    # refused with its count, to be narrowed by the filters. Excel opens 1,048,576 rows.
    "EXPORT_MAX_ROWS": int(os.environ.get("ONEGRID_EXPORT_MAX_ROWS", 100_000)),
    # The TrueType font (.ttf, or the first face of a .ttc) the monthly PDF reports are written
    # in, embedded as a subset: it must hold Chinese characters and TrueType outlines
    # (reportlab cannot embed OpenType/CFF fonts such as Noto CJK). Debian: fonts-wqy-microhei.
    "PDF_FONT": os.environ.get(
        "ONEGRID_PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    ),
    # Where the monthly reports are written (insight/reports.py): YYYY-MM/district.pdf and
    # YYYY-MM/street-<code>.pdf.
    "REPORTS_DIR": os.environ.get("ONEGRID_REPORTS_DIR", str(VAR_DIR / "reports")),
    # Hotspots and alerts (insight/hotspots.py, insight/alerts.py; docs/architecture.md
    # "Hotspots and alerts"). Gi*: Benjamini–Hochberg false discovery rate α over the grids
    # of the area; neighbours "queen" (shared boundary point) or "band" (centroids within
    # BAND_M metres); results kept CACHE_SECONDS. Heat map: raster cell and Gaussian kernel
    # bandwidth in metres, at most HEAT_MAX_SIDE cells a side. Repeat places: one class
    # reported REPEAT_MIN_COUNT times within REPEAT_RADIUS_M metres in REPEAT_DAYS days.
    # Surge alerts: the last ALERT_WINDOW_DAYS days against the ALERT_RECENT_WINDOWS windows
    # before and the same season of up to ALERT_YEARS earlier years; flagged when the upper
    # tail p < ALERT_P and at least ALERT_MIN_COUNT cases.
    "HOTSPOTS": {
        "FDR_ALPHA": float(os.environ.get("ONEGRID_HOTSPOT_FDR_ALPHA", 0.05)),
        "WEIGHTS": os.environ.get("ONEGRID_HOTSPOT_WEIGHTS", "queen"),
        "BAND_M": float(os.environ.get("ONEGRID_HOTSPOT_BAND_M", 1000)),
        "CACHE_SECONDS": _env_int("ONEGRID_HOTSPOT_CACHE_SECONDS", 60),
        "HEAT_CELL_M": float(os.environ.get("ONEGRID_HEAT_CELL_M", 100)),
        "HEAT_BANDWIDTH_M": float(os.environ.get("ONEGRID_HEAT_BANDWIDTH_M", 300)),
        "HEAT_MAX_SIDE": _env_int("ONEGRID_HEAT_MAX_SIDE", 256),
        "REPEAT_DAYS": _env_int("ONEGRID_REPEAT_DAYS", 90),
        "REPEAT_RADIUS_M": float(os.environ.get("ONEGRID_REPEAT_RADIUS_M", 50)),
        "REPEAT_MIN_COUNT": _env_int("ONEGRID_REPEAT_MIN_COUNT", 3),
        "ALERT_WINDOW_DAYS": _env_int("ONEGRID_ALERT_WINDOW_DAYS", 7),
        "ALERT_RECENT_WINDOWS": _env_int("ONEGRID_ALERT_RECENT_WINDOWS", 8),
        "ALERT_YEARS": _env_int("ONEGRID_ALERT_YEARS", 3),
        "ALERT_P": float(os.environ.get("ONEGRID_ALERT_P", 0.01)),
        "ALERT_MIN_COUNT": _env_int("ONEGRID_ALERT_MIN_COUNT", 5),
    },
    # The public pages (residents.public, /public/): reports a page of the list shows; the Atom
    # feed's largest radius (metres) and most entries; tracking-code look-ups per client
    # address and minute (a code has 50 random bits: the limit keeps scanners off the database).
    "PUBLIC_PAGE_SIZE": _env_int("ONEGRID_PUBLIC_PAGE_SIZE", 20),
    "PUBLIC_FEED_MAX_RADIUS_M": _env_int("ONEGRID_PUBLIC_FEED_MAX_RADIUS_M", 5000),
    "PUBLIC_FEED_MAX_ITEMS": _env_int("ONEGRID_PUBLIC_FEED_MAX_ITEMS", 50),
    "PUBLIC_LOOKUPS_PER_MINUTE": _env_int("ONEGRID_PUBLIC_LOOKUPS_PER_MINUTE", 30),
    # Open311 (onegrid.open311): requests one API client may post, and reads one client (by its
    # key) or one address may make, per minute; the contact the discovery document names.
    "OPEN311_POSTS_PER_MINUTE": _env_int("ONEGRID_OPEN311_POSTS_PER_MINUTE", 30),
    "OPEN311_READS_PER_MINUTE": _env_int("ONEGRID_OPEN311_READS_PER_MINUTE", 120),
    "OPEN311_CONTACT": os.environ.get("ONEGRID_OPEN311_CONTACT", ""),
    # Forwarding cases to outside systems (onegrid.forwarding): how long one call to a remote
    # may take before it counts as failed (never as sent), and how much history behind its mark
    # the scan re-reads (events a long transaction committed late).
    "FORWARDING_TIMEOUT_SECONDS": float(os.environ.get("ONEGRID_FORWARDING_TIMEOUT", 10)),
    "FORWARDING_RESCAN_SECONDS": _env_int("ONEGRID_FORWARDING_RESCAN_SECONDS", 600),
    # Notifications (onegrid.notify; docs/architecture.md "Notifications"). SMS through a gateway:
    # "file" appends JSON lines to SMS_FILE (the demo; tests read one-time codes there), "console"
    # prints them, "http" POSTs {"phone", "text", "key"} as JSON to SMS_URL with the bearer
    # SMS_TOKEN (2xx and a JSON object back = sent). Tasks due within NOTIFY_DUE_SOON_HOURS (wall
    # hours) warn their department once. `onegrid notify worker` runs its sweeps every
    # NOTIFY_WORKER_SECONDS; fan-out rescans NOTIFY_FAN_OUT_WINDOW_SECONDS of history behind its
    # mark (events a long transaction committed late); a delivery still not attempted
    # NOTIFY_REQUEUE_AFTER_SECONDS after its time is woken again (a lost job, a killed worker).
    "SMS_BACKEND": os.environ.get("ONEGRID_SMS_BACKEND", "file").strip().lower(),
    "SMS_FILE": os.environ.get("ONEGRID_SMS_FILE", str(VAR_DIR / "sms" / "outbox.jsonl")),
    "SMS_URL": os.environ.get("ONEGRID_SMS_URL", ""),
    "SMS_TOKEN": os.environ.get("ONEGRID_SMS_TOKEN", ""),
    "NOTIFY_DUE_SOON_HOURS": float(os.environ.get("ONEGRID_NOTIFY_DUE_SOON_HOURS", 4)),
    "NOTIFY_WORKER_SECONDS": float(os.environ.get("ONEGRID_NOTIFY_WORKER_SECONDS", 2)),
    "NOTIFY_FAN_OUT_WINDOW_SECONDS": _env_int("ONEGRID_NOTIFY_FAN_OUT_WINDOW_SECONDS", 600),
    "NOTIFY_REQUEUE_AFTER_SECONDS": _env_int("ONEGRID_NOTIFY_REQUEUE_AFTER_SECONDS", 60),
    "NOTIFY_SEND_TIMEOUT_SECONDS": float(os.environ.get("ONEGRID_NOTIFY_SEND_TIMEOUT", 10)),
    # Resident accounts (onegrid.residents): one-time codes of CODE_LENGTH digits, valid
    # CODE_LIFE_SECONDS, CODE_MAX_TRIES wrong tries; sending at most one code per number every
    # CODE_INTERVAL_SECONDS and CODES_PER_PHONE_HOUR an hour, CODES_PER_ADDRESS_HOUR an hour
    # from one client address (a street office or a mobile carrier's NAT serves many);
    # anonymous reports (/report/) at most ANONYMOUS_REPORTS_PER_HOUR an hour from one address.
    "RESIDENTS": {
        "CODE_LENGTH": 6,
        "CODE_LIFE_SECONDS": _env_int("ONEGRID_RESIDENT_CODE_LIFE_SECONDS", 600),
        "CODE_MAX_TRIES": _env_int("ONEGRID_RESIDENT_CODE_MAX_TRIES", 5),
        "CODE_INTERVAL_SECONDS": _env_int("ONEGRID_RESIDENT_CODE_INTERVAL_SECONDS", 60),
        "CODES_PER_PHONE_HOUR": _env_int("ONEGRID_RESIDENT_CODES_PER_PHONE_HOUR", 5),
        "CODES_PER_ADDRESS_HOUR": _env_int("ONEGRID_RESIDENT_CODES_PER_ADDRESS_HOUR", 20),
        "ANONYMOUS_REPORTS_PER_HOUR": _env_int("ONEGRID_ANONYMOUS_REPORTS_PER_HOUR", 10),
    },
}

# E-mail notifications go through Django's mail: ONEGRID_EMAIL_BACKEND (default: files under
# var/mail, for the demo; "django.core.mail.backends.smtp.EmailBackend" with EMAIL_HOST…).
EMAIL_BACKEND = os.environ.get(
    "ONEGRID_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("ONEGRID_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("ONEGRID_EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("ONEGRID_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("ONEGRID_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ONEGRID_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("ONEGRID_EMAIL_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("ONEGRID_EMAIL_FROM", "onegrid@localhost")

if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
