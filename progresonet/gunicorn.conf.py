"""gunicorn settings for production (read from the environment where it matters)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 - inside the container
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200
# gunicorn believes X-Forwarded-Proto (wsgi.url_scheme) only from these addresses: the same
# reverse proxies Django trusts. REMOTE_ADDR stays the TCP peer; the client's address behind
# the proxy is worked out by audit.services.client_ip from settings.TRUSTED_PROXIES.
forwarded_allow_ips = (
    os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS")
    or os.environ.get("DJANGO_TRUSTED_PROXIES")
    or "127.0.0.1"
)
accesslog = "-"
# The access log never records query strings: tokens travel in paths, never in queries.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
