"""The peak hour's users for benchmarks/bench_load.py (which writes the plan: tokens, grids).

Run by bench_load.py (`locust --headless`); LOAD_PLAN names the plan, LOAD_HOSTS the app's
addresses (one: nginx; several: the users spread over the app processes themselves).
"""

from __future__ import annotations

import collections
import io
import json
import os
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

from locust import HttpUser, constant, events, task
from PIL import Image

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
HOSTS = os.environ.get("LOAD_HOSTS", "").split(",")
RUN = PLAN["run"]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 30)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


PHOTO = _jpeg()  # about 10 KB: a phone photo after the field app shrinks it


def photo() -> bytes:
    """The photo with a comment segment of its own: every phone photo differs (the same bytes
    sent by many clients at once contend for one PhotoContent row, which no real load does)."""
    tag = uuid.uuid4().hex.encode()
    return PHOTO[:2] + b"\xff\xfe" + (len(tag) + 2).to_bytes(2, "big") + tag + PHOTO[2:]


# Reported cases waiting for a desk to walk them (case id, grid), and tracking codes the
# residents follow; shared by the users of this process (gevent: no threads).
REPORTED: collections.deque = collections.deque(maxlen=20_000)
TRACKING: collections.deque = collections.deque(maxlen=5_000)
ACKS = open(PLAN["acks"], "a", buffering=1)  # noqa: SIM115 (closed when locust quits)
sent = 0


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


class Spread(HttpUser):
    abstract = True
    wait_time = constant(0)

    def __init__(self, environment) -> None:
        if len(HOSTS) > 1:
            self.host = random.choice(HOSTS)
        super().__init__(environment)


class GridWorker(Spread):
    """Reports a problem with a photo in their grid (the field app's POST, with its key)."""

    weight = 3

    def on_start(self) -> None:
        self.grid = random.choice(PLAN["grids"])

    @task
    def report(self) -> None:
        global sent
        if sent >= PLAN["max_reports"]:
            self.environment.runner.quit()
            return
        sent += 1
        key = f"{RUN}-{uuid.uuid4().hex[:20]}"
        fields = {
            "lon": self.grid["lon"],
            "lat": self.grid["lat"],
            "class_code": random.choice(PLAN["classes"]),
            "description": f"load {RUN} {key}",
        }
        # A client that gets no answer sends the same request with the same key again.
        for _attempt in range(3):
            with self.client.post(
                "/api/v1/cases",
                data=fields,
                files={"photos": ("photo.jpg", photo(), "image/jpeg")},
                headers=bearer(self.grid["worker"], key),
                name="report: POST /api/v1/cases (+photo)",
                catch_response=True,
            ) as response:
                if response.status_code in (200, 201):
                    case = response.json()["case"]
                    ACKS.write(f"{key}\t{case['id']}\n")
                    REPORTED.append((case["id"], self.grid))
                    TRACKING.append(case["tracking_code"])
                    return
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")


# The closed loop through the API: (action, who takes it, form fields, with a photo).
LOOP = (
    ("register", "acceptor", {}, False),
    ("dispatch", "dispatcher", {"department": PLAN["department"]}, False),
    ("sign", "handler", {}, False),
    ("feed_back", "handler", {"reason": "fixed on site (load test)"}, True),
    ("pass_check", "worker", {"reason": "checked on site"}, True),
    ("close", "acceptor", {}, False),
)


class Desk(Spread):
    """Walks a reported case through the loop, each action as the person whose work it is."""

    weight = 4

    @task
    def walk(self) -> None:
        if not REPORTED:
            self.client.get(
                "/api/v1/cases?open=true&limit=20",
                headers=bearer(PLAN["grids"][0]["acceptor"]),
                name="desk: GET /api/v1/cases (queue)",
            )
            return
        case_id, grid = REPORTED.popleft()
        for action, who, fields, with_photo in LOOP:
            token = PLAN["handler"] if who == "handler" else grid[who]
            files = {"photos": ("after.jpg", photo(), "image/jpeg")} if with_photo else None
            with self.client.post(
                f"/api/v1/cases/{case_id}/actions/{action}",
                data=fields,
                files=files,
                headers=bearer(token, f"{RUN}-{action}-{case_id}"),
                name=f"workflow: POST actions/{action}",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                    return


class Console(Spread):
    """A desk's console and live map, signed in with a session, polled as their scripts do."""

    weight = 2

    def on_start(self) -> None:
        self.username = random.choice(PLAN["console"])
        self.client.get("/login/", name="console: GET /login/")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/login/",
            data={
                "username": self.username,
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{self.host}/login/", "X-Forwarded-For": self._address()},
            name="console: POST /login/",
        )
        self.since = datetime.now(UTC).isoformat()

    def _address(self) -> str:
        return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    @task(1)
    def console(self) -> None:
        with self.client.get(
            "/console/",
            headers={"Accept": "text/html"},
            name="poll: GET /console/",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(3)
    def live_map(self) -> None:
        with self.client.get(
            "/map/live.json",
            params={"since": self.since},
            name="poll: GET /map/live.json?since=",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            self.since = response.json()["now"]


class Resident(Spread):
    """Follows a report by its tracking code on the public page, from their own address."""

    weight = 3

    @task
    def track(self) -> None:
        if not TRACKING:
            self.client.get("/public/track/", name="resident: GET /public/track/")
            return
        code = random.choice(TRACKING)
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        self.client.get(
            f"/public/reports/{code}/",
            headers={"X-Forwarded-For": address},
            name="resident: GET /public/reports/<code>/",
        )


@events.quitting.add_listener
def _close(environment, **kwargs) -> None:
    """The figures for bench_load.py: per endpoint, after the last request is counted."""
    ACKS.close()
    rows = []
    for entry in [*environment.stats.entries.values(), environment.stats.total]:
        rows.append(
            {
                "name": entry.name,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50": entry.get_response_time_percentile(0.5),
                "p99": entry.get_response_time_percentile(0.99),
                "rps": entry.total_rps,
                "seconds": entry.last_request_timestamp - entry.start_time
                if entry.last_request_timestamp
                else 0,
            }
        )
    errors = [
        {"name": e.name, "error": str(e.error), "count": e.occurrences}
        for e in environment.stats.errors.values()
    ]
    with open(PLAN["stats"], "w") as f:
        json.dump({"rows": rows, "errors": errors}, f)
