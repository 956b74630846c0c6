"""A real IMAP server (Debian's dovecot) in a private folder, plus the mail-queue fixtures.

Dovecot runs unprivileged on free loopback ports with a generated configuration: one user
with a plaintext password in a passwd-file, maildir storage, and a self-signed certificate
for IMAPS (the application's default). Each test gets its own folder in that mailbox.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.mailing.conftest import app as app  # noqa: F401  (fixtures shared with the mail queue)
from tests.mailing.conftest import letter_templates, smtp_server, smtp_sink, towns  # noqa: F401

DOVECOT = "/usr/sbin/dovecot"
USER = "office"
PASSWORD = "imap-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ImapServer:
    host: str
    port: int
    tls_port: int
    ca_file: str
    folder: Path
    process: subprocess.Popen[bytes]

    def config(self, folder: str = "INBOX", **extra: Any) -> dict[str, Any]:
        """Application settings for reading ``folder`` over IMAPS (the default)."""
        return {
            "IMAP_HOST": self.host,
            "IMAP_PORT": self.tls_port,
            "IMAP_USER": USER,
            "IMAP_PASSWORD": PASSWORD,
            "IMAP_FOLDER": folder,
            "IMAP_TLS": True,
            "IMAP_CA_FILE": self.ca_file,
            **extra,
        }

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _write_config(root: Path, port: int, tls_port: int) -> None:
    me = pwd.getpwuid(os.getuid())
    if os.getuid() == 0:
        # Dovecot refuses to run its login process or a mail user as root.
        login_user = "dovenull" if _user_exists("dovenull") else "nobody"
        mail_uid, mail_gid = pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid
        internal_user, internal_group = "root", "root"
    else:
        login_user = me.pw_name
        mail_uid, mail_gid = os.getuid(), os.getgid()
        internal_user, internal_group = me.pw_name, grp.getgrgid(os.getgid()).gr_name
    mail = root / "mail"
    mail.mkdir()
    if os.getuid() == 0:
        os.chown(mail, mail_uid, mail_gid)
    (root / "users").write_text(
        f"{USER}:{{PLAIN}}{PASSWORD}:{mail_uid}:{mail_gid}::{mail}/{USER}\n", encoding="utf-8"
    )
    (root / "dovecot.conf").write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {min(mail_uid, 100) if mail_uid else 1}
first_valid_gid = {min(mail_gid, 100) if mail_gid else 1}
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""",
        encoding="utf-8",
    )


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _certificate(root: Path) -> None:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(root / "key.pem"),
            "-out",
            str(root / "cert.pem"),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    if not os.path.exists(DOVECOT):
        pytest.skip(f"{DOVECOT} is not installed (apt-get install dovecot-imapd)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for the IMAPS test server")
    root = Path(tempfile.mkdtemp(prefix="outreach-imap-"))
    os.chmod(root, 0o755)  # the mail user (not root) must reach its maildir
    _certificate(root)
    port, tls_port = _free_port(), _free_port()
    _write_config(root, port, tls_port)
    process = subprocess.Popen(
        [DOVECOT, "-c", str(root / "dovecot.conf"), "-F"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = ImapServer("127.0.0.1", port, tls_port, str(root / "cert.pem"), root, process)
    deadline = time.monotonic() + 15
    while True:
        try:
            server.client().logout()
            break
        except (OSError, imaplib.IMAP4.error) as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(
                    f"dovecot did not start: {exc}\n{output}\n{server.log()}"
                ) from exc
            time.sleep(0.1)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(root, ignore_errors=True)


class Folder:
    """One test's own folder in the IMAP mailbox (any name: IMAPClient encodes it)."""

    def __init__(self, server: ImapServer, prefix: str = "test") -> None:
        self.server = server
        self.name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        with self._client() as client:
            client.create_folder(self.name)

    def _client(self) -> Any:
        from contextlib import contextmanager

        from imapclient import IMAPClient

        @contextmanager
        def opened() -> Iterator[IMAPClient]:
            client = IMAPClient(self.server.host, self.server.port, ssl=False, timeout=10)
            client.login(USER, PASSWORD)
            try:
                yield client
            finally:
                client.logout()

        return opened()

    def append(self, *messages: bytes) -> None:
        with self._client() as client:
            for raw in messages:
                client.append(self.name, raw)

    def recreate(self) -> None:
        """Delete the folder and create it again: the server gives it a new UIDVALIDITY."""
        with self._client() as client:
            client.delete_folder(self.name)
            client.create_folder(self.name)

    def uidvalidity(self) -> int:
        with self._client() as client:
            return int(client.folder_status(self.name, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def flags(self) -> dict[int, tuple[bytes, ...]]:
        """Each message's flags, read without changing them."""
        with self._client() as client:
            client.select_folder(self.name, readonly=True)
            found = client.fetch(client.search(), ["FLAGS"])
            return {uid: data[b"FLAGS"] for uid, data in found.items()}

    def config(self, **extra: Any) -> dict[str, Any]:
        return self.server.config(self.name, **extra)


@pytest.fixture
def imap_folder(imap_server: ImapServer, app: Any) -> Folder:  # noqa: F811
    """A fresh folder; the app is configured to read it over IMAPS."""
    folder = Folder(imap_server)
    app.config.update(folder.config())
    return folder


@pytest.fixture
def cyrillic_folder(imap_server: ImapServer, app: Any) -> Folder:  # noqa: F811
    """A fresh folder named in Ukrainian ("Відповіді-…"); the app is configured to read it."""
    folder = Folder(imap_server, prefix="Відповіді")
    app.config.update(folder.config())
    return folder


def tls_context(server: ImapServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=server.ca_file)
