"""A real nginx (Debian's ``/usr/sbin/nginx``) on loopback, as the reverse proxy in front of a
live server of the portal, for the trusted-proxy checks (tests/security/test_nginx_proxy.py,
and the "proxy (nginx)" row of ``make reliability``).

nginx runs in the foreground as an unprivileged user with a generated configuration in a temp
directory and listens on a free 127.0.0.1 port. Its proxy headers are those of
``deploy/nginx/portal.conf`` (X-Forwarded-For appended with ``$proxy_add_x_forwarded_for``,
X-Forwarded-Proto, the client's Host). Clients bind their own loopback source addresses
(127.0.0.2, 127.0.0.3, ...), so each has its own address, as on the internet; nginx reaches
the upstream from 127.0.0.1, the address the portal is told to trust.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.integration_fixtures import free_port, wait_until

NGINX = os.environ.get("NGINX_BIN") or "/usr/sbin/nginx"
# The headers the deployment's proxy sets (deploy/nginx/portal.conf), kept identical here.
PROXY_HEADERS = """
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
"""

CONFIG = """
daemon off;
master_process on;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  upstream portal {{ server {upstream_host}:{upstream_port}; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://portal;
{headers}
    }}
  }}
}}
"""


class Nginx:
    """nginx proxying 127.0.0.1:``port`` to ``upstream``; stop() ends it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        if not os.access(NGINX, os.X_OK):
            pytest.fail(f"{NGINX} missing: apt-get install -y nginx-light")
        self.directory = tempfile.mkdtemp(prefix="nginx-")
        self.port = free_port()
        config = Path(self.directory) / "nginx.conf"
        config.write_text(
            CONFIG.format(
                dir=self.directory,
                upstream_host=upstream[0],
                upstream_port=upstream[1],
                port=self.port,
                headers=PROXY_HEADERS,
            )
        )
        kwargs: dict = {}
        if os.geteuid() == 0:
            # Never a root nginx in tests: the whole process tree runs as "nobody".
            import pwd

            nobody = pwd.getpwnam("nobody")
            os.chown(self.directory, nobody.pw_uid, nobody.pw_gid)
            os.chown(config, nobody.pw_uid, nobody.pw_gid)
            kwargs.update(user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
        self._log = open(Path(self.directory) / "stderr.log", "wb")  # noqa: SIM115 - closed in stop
        self.process = subprocess.Popen(
            [NGINX, "-p", self.directory, "-c", str(config), "-e", f"{self.directory}/error.log"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            **kwargs,
        )
        wait_until(self._accepting, f"nginx on port {self.port}", timeout=30)

    @property
    def base(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def log(self) -> str:
        return "\n".join(
            (Path(self.directory) / name).read_text(errors="replace")
            for name in ("stderr.log", "error.log")
            if (Path(self.directory) / name).exists()
        )

    def _accepting(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"nginx exited:\n{self.log()}")
        with contextlib.suppress(OSError), socket.create_connection(self.base, 0.2):
            return True
        return False

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: fast shutdown of master and workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def nginx_in_front_of(upstream: tuple[str, int]):
    proxy = Nginx(upstream)
    try:
        yield proxy
    finally:
        proxy.stop()
