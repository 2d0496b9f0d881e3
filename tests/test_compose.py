"""docker-compose.yml describes the whole stack with the environment names of GUIDE §3."""

import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_has_the_whole_stack_with_contract_variables():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "mailcatcher"} <= set(services)
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        for variable in (
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_SECRET_KEY",
            "DJANGO_DEBUG",
            "DJANGO_ALLOWED_HOSTS",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "EMAIL_HOST",
            "EMAIL_PORT",
            "RECAPTCHA_PUBLIC_KEY",
            "RECAPTCHA_PRIVATE_KEY",
            "DJANGO_PIN_PEPPER",
            "REDIS_URL",
        ):
            assert variable in env, (name, variable)
    assert "gunicorn" in (ROOT / "Dockerfile").read_text()


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_web_is_reachable_only_through_the_tls_proxy_that_it_trusts():
    compose = _compose()
    services = compose["services"]
    proxy, web = services["proxy"], services["web"]
    assert "ports" not in web, "gunicorn must not be published: only the proxy reaches it"
    assert any(str(port).endswith(":443") for port in proxy["ports"])
    # The proxy has a fixed address on the network, and that address is the one trusted.
    address = proxy["networks"]["default"]["ipv4_address"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DJANGO_TRUSTED_PROXIES"] == address
    assert ":-https://" in services["web"]["environment"]["DJANGO_SITE_URL"]
    build = ROOT / proxy["build"]
    dockerfile = (build / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM nginx:" in dockerfile
    assert "/docker-entrypoint.d/" in dockerfile  # the self-signed certificate step


def test_the_proxy_config_forwards_client_and_scheme_and_terminates_tls():
    conf = (ROOT / "deploy" / "nginx" / "portal.conf").read_text()
    assert "server web:8000;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "listen 443 ssl" in conf and "ssl_certificate " in conf
    # The test harness's nginx sends the same headers as the deployment's.
    from tests.nginx_proxy import PROXY_HEADERS

    for line in PROXY_HEADERS.strip().splitlines():
        assert line.strip() in conf


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl CLI not installed")
def test_the_proxy_config_loads_in_a_real_nginx(tmp_path):
    """``nginx -t`` on deploy/nginx/portal.conf, with the upstream on loopback and a
    certificate made as the container's entrypoint makes it."""
    from tests.nginx_proxy import NGINX

    subprocess.run(
        ["sh", "-c", (ROOT / "deploy/nginx/40-portal-self-signed-cert.sh").read_text().replace(
            "dir=/etc/nginx/certs", f"dir={tmp_path}/certs")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    site = (ROOT / "deploy" / "nginx" / "portal.conf").read_text()
    site = site.replace("server web:8000;", "server 127.0.0.1:8000;")
    site = site.replace("/etc/nginx/certs", f"{tmp_path}/certs")
    (tmp_path / "portal.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events { worker_connections 16; }\n"
        f"http {{ access_log off; include {tmp_path}/portal.conf; }}\n"
    )
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
         "-e", f"{tmp_path}/error.log"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
