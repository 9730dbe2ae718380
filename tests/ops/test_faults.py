"""Faults (issue 14 §4), with real processes: gunicorn app processes, the notification and
forwarding workers, a client that reports with idempotency keys and walks cases through the API,
retrying on any failure with the same key as a field app does.

- (a) app processes and the notification worker killed with SIGKILL mid-request and restarted;
- (b) PostgreSQL restarted (`pg_ctl restart -m immediate`: a crash and recovery);
- (c) Redis lost (SIGKILL, restarted empty: the jobs it held are gone) with ONEGRID_TASKS=rq.

After each: every report acknowledged is exactly one case and one never acknowledged is at most
one; every case's history replays to its state; the queue catches up (text messages of
deliveries made before the fault are sent after it); no text message is sent twice (the SMS
outbox names each delivery key once); `onegrid verify` passes.

On the SQLite run of the suite: (a) on a SQLite file with the database queue. On the
PostgreSQL run: (a), (b) and (c) on a PRIVATE cluster (initdb + pg_ctl on port 5499, under
a temporary directory, never the machine's server) and a private redis-server on port 18379.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from onegrid.cases.history import replay_states

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = 5499
REDIS_PORT = 18379
APP_PORTS = (
    (18111, 18112) if os.environ.get("DATABASE_URL", "").startswith("postgres") else (18101, 18102)
)
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")

pytestmark = [
    pytest.mark.skipif(not (BIN / "gunicorn").exists(), reason="gunicorn is not installed"),
    pytest.mark.skipif(
        ON_POSTGRES and not (PG_BIN / "pg_ctl").exists(),
        reason="PostgreSQL 15's pg_ctl is not installed (for a private cluster)",
    ),
    pytest.mark.skipif(
        ON_POSTGRES and not shutil.which("redis-server"), reason="redis-server is not installed"
    ),
    pytest.mark.skipif(
        ON_POSTGRES and not shutil.which("runuser"),
        reason="runuser is missing (initdb as postgres)",
    ),
]

WORLD = """
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
from shapely.geometry import box
from onegrid.cases.models import CaseClass, MajorClass
from onegrid.org.models import Department, Role, RoleAssignment, User
from onegrid.org.services import token_for
from onegrid.territory.models import AdminUnit, Grid, LayerState
unit = lambda code, name, level, parent=None: AdminUnit.objects.create(
    code=code, name=name, level=level, parent=parent)
district = unit("120113000000", "北辰区", "district", unit("120100000000", "天津市", "city"))
street = unit("120113001000", "果园新村街道", "street", district)
community = unit("120113001001", "第1社区", "community", street)
department = Department.objects.create(code="city_management", name="城管委")
CaseClass.objects.create(code="A0101", major=MajorClass.objects.create(code="A", name="城市管理"),
    name="私搭乱建", time_limit=15, time_unit="days", default_department=department)
def person(name, role, phone="", **where):
    user = User.objects.create_user(name, password="pw-" + name, display_name=name, phone=phone)
    RoleAssignment.objects.create(user=user, role=role, **where)
    return token_for(user)[0]
grids = []
for i in range(3):
    shape = box(117.10 + i * 0.01, 39.20, 117.11 + i * 0.01, 39.21)
    grid = Grid.objects.create(code=f"{community.code}{i + 1:03d}", name=f"第{i + 1:03d}网格",
        community=community, street=street, geometry_wkb=shape.wkb, area_m2=1e6,
        label_lon=shape.centroid.x, label_lat=shape.centroid.y)
    grids.append({"lon": grid.label_lon, "lat": grid.label_lat,
                  "worker": person(f"worker{i}", Role.GRID_WORKER, grid=grid)})
LayerState.objects.update_or_create(name="grids", defaults={"version": 1})
acceptor = person("acceptor", Role.ACCEPTOR, unit=street)
dispatcher = person("dispatcher", Role.DISPATCHER, unit=street)
# A case dispatched to the department texts its handler (TO_MY_DEPARTMENT): a delivery.
person("handler", Role.DEPT_HANDLER, phone="13800000001", department=department)
for grid in grids:
    grid.update(acceptor=acceptor, dispatcher=dispatcher)
print(json.dumps({"grids": grids, "class": "A0101", "department": department.code}))
"""


def free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not free(port):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing answers on port {port}")


class Stack:
    """The database, Redis (PostgreSQL run), app processes and workers of one test module."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.var = tmp / "var"
        (self.var / "static").mkdir(parents=True)
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "ONEGRID_VAR_DIR": str(self.var),
            "DJANGO_SETTINGS_MODULE": "onegrid.config.settings",
            # Deliveries whose job was lost are woken after 3 s instead of a minute.
            "ONEGRID_NOTIFY_REQUEUE_AFTER_SECONDS": "3",
            "ONEGRID_NOTIFY_WORKER_SECONDS": "0.5",
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if ON_POSTGRES:
            # Under /tmp itself: the postgres user cannot reach into pytest's root-only folder.
            self.pgroot = Path(tempfile.mkdtemp(prefix="og-faults-pg-"))
            self.pgdata = self.pgroot / "data"
            self.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{PG_PORT}/og_faults"
            self.env["ONEGRID_TASKS"] = "rq"
            self.env["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"
        else:
            self.env["DATABASE_URL"] = f"sqlite:///{self.var / 'faults.sqlite3'}"
            self.env["ONEGRID_TASKS"] = "database"
            self.env.pop("REDIS_URL", None)

    # --- services ------------------------------------------------------------------------
    def postgres(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata),
             "-w", "-t", "60", *args],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=90,
        )  # fmt: skip

    def start_postgres(self) -> None:
        self.pgroot.chmod(0o755)
        self.pgdata.mkdir(mode=0o700)
        shutil.chown(self.pgdata, "postgres", "postgres")
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(self.pgdata),
             "-A", "trust", "-U", "postgres", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = f"-p {PG_PORT} -k {self.pgdata} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.postgres("-o", options, "-l", str(self.pgdata / "log"), "start")
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres",
             "og_faults"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def restart_postgres(self) -> None:
        """A crash (immediate: no checkpoint) and a start, which recovers from the WAL."""
        self.postgres("-m", "immediate", "-l", str(self.pgdata / "log"), "restart")

    def start_redis(self) -> None:
        self.procs["redis"] = subprocess.Popen(
            ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(REDIS_PORT, 20)

    def python(self, code: str, *args: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", "import django\ndjango.setup()\n" + code, *args],
            env=self.env, capture_output=True, text=True, timeout=300, cwd=REPO,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_app(self, port: int) -> None:
        log = open(self.var / f"app-{port}.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.procs[f"app-{port}"] = subprocess.Popen(
            [str(BIN / "gunicorn"), "onegrid.config.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "4", "--log-level", "warning"],
            env=self.env, stdout=log, stderr=log, cwd=REPO,
        )  # fmt: skip

    def start_worker(self, name: str, *args: str) -> None:
        log = open(self.var / f"{name}-worker.log", "ab")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(
            [str(BIN / "onegrid"), name, "worker", *args],
            env=self.env, stdout=log, stderr=log, cwd=REPO,
        )  # fmt: skip

    def kill(self, name: str) -> None:
        """SIGKILL the process and (a gunicorn master) its workers: no clean-up runs."""
        proc = self.procs[name]
        if proc.poll() is not None:
            return
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        for pid in [proc.pid, *map(int, children)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(10)

    def warm(self, port: int) -> None:
        """A fresh app process reads its grids, catalogue and templates on its first requests
        (seconds on a busy machine): one read before it is put to the test."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        token = self.world["grids"][0]["worker"]
        conn.request("GET", "/api/v1/cases?limit=1", headers={"Authorization": f"Bearer {token}"})
        assert conn.getresponse().status == 200
        conn.close()

    def stop_all(self) -> None:
        for name in self.procs:  # thrown away with their data: no graceful stop needed
            self.kill(name)
        if ON_POSTGRES:
            if (self.pgdata / "postmaster.pid").exists():
                self.postgres("-m", "immediate", "stop")
            shutil.rmtree(self.pgroot, ignore_errors=True)

    def rows(self, sql: str, *params: str) -> list[tuple]:
        """Rows read straight from the stack's database (no Django start per look)."""
        if ON_POSTGRES:
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"]) as conn:
                return conn.execute(sql, params).fetchall()
        with closing(sqlite3.connect(self.var / "faults.sqlite3", timeout=30)) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()

    def state(self, prefix: str) -> dict:
        stored = Counter(
            d
            for (d,) in self.rows(
                "SELECT description FROM cases_case WHERE description LIKE %s", prefix + " %"
            )
        )
        events: dict = {}
        for case_id, _seq, before, after in self.rows(
            "SELECT case_id, seq, from_state, to_state FROM cases_caseevent ORDER BY case_id, seq"
        ):
            events.setdefault(str(case_id), []).append(SimpleNamespace(
                seq=_seq, from_state=before, to_state=after
            ))  # fmt: skip
        broken = []
        for case_id, number, state in self.rows("SELECT id, number, state FROM cases_case"):
            try:
                if replay_states(events.get(str(case_id), []))[-1:] != [state]:
                    broken.append(number)
            except ValueError:
                broken.append(number)
        deliveries = self.rows("SELECT key, state FROM notify_delivery")
        return {"stored": stored, "broken": broken, "deliveries": deliveries}

    def outbox(self) -> list[str]:
        path = self.var / "sms" / "outbox.jsonl"
        if not path.exists():
            return []
        return [json.loads(line)["key"] for line in path.read_text().splitlines() if line]


def multipart(fields: dict, photo: bool) -> tuple[bytes, str]:
    """The form as multipart, with a photo (an on-site report needs one) of its own bytes;
    without one, url-encoded."""
    if not photo:
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    tag = uuid.uuid4().hex.encode()  # a comment segment: every photo differs, as phones' do
    photo = PHOTO[:2] + b"\xff\xfe" + (len(tag) + 2).to_bytes(2, "big") + tag + PHOTO[2:]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


PHOTO = _jpeg()


class Client:
    """Reports and walks cases through the API, retrying each request with its key until it is
    answered (any port: a load balancer's next upstream)."""

    def __init__(self, world: dict, prefix: str) -> None:
        self.world = world
        self.prefix = prefix
        self.acked: dict[str, str] = {}  # report key → case id
        self.unacked: set[str] = set()
        self.retries = 0
        self.dispatched: list[str] = []
        self.error: BaseException | None = None
        self.sending = threading.Event()  # set while a request is on its way: its port
        self.port = APP_PORTS[0]

    def request(
        self, path: str, fields: dict, token: str, key: str, deadline: float, photo: bool = False
    ):
        body, content_type = multipart(fields, photo)
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
            "Content-Type": content_type,
        }
        while time.monotonic() < deadline:
            self.port = random.choice(APP_PORTS)
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            try:
                conn.request("POST", path, body=body, headers=headers)
                self.sending.set()
                response = conn.getresponse()
                answer = response.read()
                if response.status in (200, 201):
                    return json.loads(answer)
                assert response.status >= 500, (response.status, answer[:300])
            except (OSError, http.client.HTTPException):
                pass
            finally:
                self.sending.clear()
                conn.close()
            self.retries += 1
            time.sleep(0.2)
        return None

    def one(self, deadline: float) -> None:
        grid = random.choice(self.world["grids"])
        key = f"{self.prefix}-{uuid.uuid4().hex[:12]}"
        fields = {
            "lon": grid["lon"],
            "lat": grid["lat"],
            "class_code": self.world["class"],
            "description": f"{self.prefix} {key}",
        }
        self.unacked.add(key)
        answer = self.request("/api/v1/cases", fields, grid["worker"], key, deadline, photo=True)
        if answer is None:
            return
        self.unacked.discard(key)
        case_id = answer["case"]["id"]
        self.acked[key] = case_id
        # Two transitions: registered by the street's desk, dispatched to the department
        # (whose handler gets a text message: a delivery on the queue).
        url = f"/api/v1/cases/{case_id}/actions/"
        if self.request(url + "register", {}, grid["acceptor"], f"reg-{key}", deadline) is None:
            return
        fields = {"department": self.world["department"]}
        if self.request(url + "dispatch", fields, grid["dispatcher"], f"dis-{key}", deadline):
            self.dispatched.append(case_id)

    def run(self, until: float, stop: threading.Event) -> None:
        try:
            while not stop.is_set() and time.monotonic() < until:
                self.one(time.monotonic() + 120)
        except BaseException as error:  # noqa: BLE001 - told to the test's thread
            self.error = error


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    for port in (*APP_PORTS, *([PG_PORT, REDIS_PORT] if ON_POSTGRES else [])):
        if not free(port):
            pytest.skip(f"port {port} is taken (another fault test running?)")
    s = Stack(tmp)
    try:
        if ON_POSTGRES:
            s.start_postgres()
            s.start_redis()
        s.world = s.python(WORLD)
        for port in APP_PORTS:
            s.start_app(port)
        s.start_worker("notify")
        s.start_worker("forwarding")
        for port in APP_PORTS:
            wait_port(port)
            s.warm(port)
        yield s
    finally:
        s.stop_all()


def drive(stack: Stack, prefix: str, seconds: float, fault) -> Client:
    """The client runs while `fault(stack, client)` runs beside it, and `seconds` after."""
    client = Client(stack.world, prefix)
    stop = threading.Event()
    thread = threading.Thread(target=client.run, args=(time.monotonic() + 600, stop))
    thread.start()
    try:
        fault(stack, client)
        time.sleep(seconds)
    finally:
        stop.set()
        thread.join(150)
    assert not thread.is_alive()
    if client.error is not None:
        raise client.error
    return client


def settled(stack: Stack, client: Client, seconds: float = 40) -> dict:
    """Wait for the queue to catch up, then check nothing was lost, doubled or broken."""
    deadline = time.monotonic() + seconds
    while True:
        state = stack.state(client.prefix)
        pending = [k for k, s in state["deliveries"] if s != "sent"]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(1)
    stored = state["stored"]
    assert client.acked, "no report was acknowledged at all"
    for key in client.acked:  # every report acknowledged: exactly one case
        assert stored.get(f"{client.prefix} {key}") == 1, key
    for key in client.unacked:  # never acknowledged: none or one
        assert stored.get(f"{client.prefix} {key}", 0) <= 1, key
    assert len(stored) == len(client.acked) + sum(
        f"{client.prefix} {k}" in stored for k in client.unacked
    )
    assert state["broken"] == [], "histories that do not replay to their case's state"
    # The queue caught up: every dispatch's text message was sent, and each only once.
    assert pending == [], f"deliveries not sent after the fault: {pending[:5]}"
    sent = stack.outbox()
    assert len(sent) == len(set(sent)), "a text message was sent twice"
    assert {k for k, _ in state["deliveries"]} <= set(sent)
    verify = subprocess.run(
        [str(BIN / "onegrid"), "verify"], env=stack.env, capture_output=True, text=True,
        timeout=120, cwd=REPO,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr[-2000:]
    return state


def test_app_processes_and_worker_killed_mid_request(stack):
    def fault(s: Stack, client: Client) -> None:
        for round_ in range(2):  # each app process once, the notification worker with the first
            assert client.sending.wait(60), "no request went out"
            port = client.port  # the process now working on the client's request
            s.kill(f"app-{port}")
            if round_ == 0:
                s.kill("notify")  # mid-delivery, or mid-fan-out
            time.sleep(0.5)
            s.start_app(port)
            if round_ == 0:
                s.start_worker("notify")
            wait_port(port)
            s.warm(port)

    client = drive(stack, "kill", 2, fault)
    assert client.retries >= 2, "each kill cut a request in flight: the client sent it again"
    state = settled(stack, client)
    assert client.dispatched and state["deliveries"]


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL run only: a private cluster restarted")
def test_postgres_restarted(stack):
    def fault(s: Stack, client: Client) -> None:
        assert client.sending.wait(60), "no request went out"
        s.restart_postgres()

    client = drive(stack, "pgrestart", 2, fault)
    assert client.retries > 0, "the restart never failed a request"
    settled(stack, client)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL run only: Redis is the queue there")
def test_redis_lost_with_jobs_on_it(stack):
    """Jobs on Redis when it dies are lost with it; the deliveries they would have sent are
    rows in the database, which the worker wakes again: every text message goes, once."""

    def fault(s: Stack, client: Client) -> None:
        # A worker that fans out (making deliveries and their jobs) but runs only the
        # forwarding queue's jobs: the text messages' jobs pile up on Redis.
        s.kill("notify")
        s.start_worker("notify", "--queues", "forwarding")
        time.sleep(3)
        s.kill("notify")
        s.kill("redis")
        time.sleep(1)
        s.start_redis()
        s.start_worker("notify")

    client = drive(stack, "redis", 2, fault)
    assert client.dispatched
    settled(stack, client, seconds=60)
