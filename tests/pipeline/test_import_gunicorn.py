"""The reported failure, end to end: a 290,000-row CSV file (15.5 MB) uploaded to the app
served by gunicorn with a 30 s worker timeout (gunicorn's default; importing the file takes
longer than any request timeout) ended in HTTP 500. The request now only stores the file and
hands it to the queue."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import func, select

from outreach.extensions import db
from outreach.pipeline.models import CsvImport, Municipality
from tests.conftest import PASSWORD

ROWS = 290_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def big_file() -> bytes:
    lines = ["name,country,email,population,languages"]
    lines += [
        f"Gmina {n:06d},PL,rada{n:06d}@gmina{n:06d}.pl,{1000 + n % 9000},pl;en"
        for n in range(1, ROWS + 1)
    ]
    return ("\n".join(lines) + "\n").encode()


def private_control(gunicorn: str) -> list[str]:
    """Newer gunicorn opens a control socket in the home folder, shared by every server
    started there; this one needs none."""
    usage = subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout
    return ["--no-control-socket"] if "--no-control-socket" in usage else []


class Browser:
    """Just enough of a browser: cookies, the CSRF token of the last page, forms."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )
        self.token = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            page = response.read().decode()
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        return page

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Content-Type": content_type}, method="POST"
        )
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_a_290000_row_file_under_gunicorn_is_taken_at_once(app, make_user, tmp_path: Path):
    user = make_user("coordinator")
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        SECRET_KEY="gunicorn-test-secret",
        OUTREACH_INSTANCE_PATH=str(tmp_path),
        OUTREACH_ENV="development",
    )
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            gunicorn,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
            *private_control(gunicorn),
            "outreach.wsgi:app",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "gunicorn.log"
                ).read_text()
                time.sleep(0.2)
        browser = Browser(base)
        browser.get("/login")
        body = f"csrf_token={browser.token}&email={user.email}&password={PASSWORD}".encode()
        status, _location = browser.post("/login", body, "application/x-www-form-urlencoded")
        assert status == 302
        browser.get("/candidates/import")
        content = big_file()
        assert 15_000_000 < len(content) < 16_000_000
        body, content_type = multipart(
            {"csrf_token": browser.token, "submit": "Import"}, "gminy.csv", content
        )
        status, location = browser.post("/candidates/import", body, content_type)
        assert status == 302, (tmp_path / "gunicorn.log").read_text()
        assert re.fullmatch(rf"(http://127\.0\.0\.1:{port})?/candidates/import/\d+", location)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    db.session.rollback()
    job = db.session.scalars(select(CsvImport)).one()
    assert (job.status, job.rows_total, len(job.data)) == ("queued", ROWS, len(content))
    assert db.session.scalar(select(func.count()).select_from(Municipality)) == 0
