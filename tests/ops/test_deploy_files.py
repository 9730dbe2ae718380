"""The configuration examples under deploy/ are real: nginx accepts the site (`nginx -t`),
gunicorn loads its configuration (and the app), systemd accepts the units and each runs a
command that exists, and the environment example names every variable the settings read."""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import runpy
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import ManagementUtility

from .support_ops import REPO

DEPLOY = REPO / "deploy"
SETTINGS_FILE = REPO / "src" / "onegrid" / "config" / "settings.py"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
UNITS = sorted((DEPLOY / "systemd").iterdir())
# What `make serve` runs beside the app, each as a timer (Makefile) or a worker.
TIMED = {
    "tick": "onegrid tick",
    "award-reports": "onegrid volunteers award-reports",
    "deliberation-tick": "onegrid deliberation tick",
    "mediation-tick": "onegrid mediation tick",
    "reports-monthly": "onegrid reports monthly --if-missing",
}
WORKERS = {
    "notify-worker": "onegrid notify worker",
    "forwarding-worker": "onegrid forwarding worker",
}


# --- the environment example -------------------------------------------------------------


def environment_read(path: Path) -> set[str]:
    """Every variable name `path` reads: os.environ.get/[...] and the settings' _env_* helpers."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            if ast.unparse(node.func) in {"os.environ.get", "_env_bool", "_env_int", "_int"} and (
                isinstance(first, ast.Constant) and isinstance(first.value, str)
            ):
                names.add(first.value)
        if (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def test_the_environment_example_names_every_setting_and_no_other():
    example = (DEPLOY / "onegrid.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    read = environment_read(SETTINGS_FILE)
    assert len(read) > 100 and "ONEGRID_DISTRICT_CODE" in read  # the scan finds them
    missing = sorted(read - listed)
    assert not missing, f"add to deploy/onegrid.env.example: {missing}"
    known = read | environment_read(GUNICORN_CONF) | {"PROMETHEUS_MULTIPROC_DIR"}
    assert not sorted(listed - known), "deploy/onegrid.env.example names unknown variables"
    # Set lines are valid systemd EnvironmentFile lines: NAME=value, no quotes, no spaces.
    for line in example.splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=\S*", line), line


# --- gunicorn ------------------------------------------------------------------------------


def test_gunicorn_conf_loads_with_its_environment_and_hooks(monkeypatch, tmp_path):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:8123,10.0.0.4:8000")
    conf = runpy.run_path(str(GUNICORN_CONF))
    assert conf["workers"] == 3 and conf["threads"] == 4 and conf["worker_class"] == "gthread"
    assert conf["bind"] == ["127.0.0.1:8123", "10.0.0.4:8000"]
    assert conf["max_requests"] == 5000 and conf["max_requests_jitter"] == 500
    assert conf["accesslog"] is None and conf["errorlog"] == "-"
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"old")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    conf["on_starting"](None)
    assert folder.is_dir() and not any(folder.iterdir())

    class DeadWorker:
        pid = 4242

    conf["child_exit"](None, DeadWorker())  # prometheus' clean-up of a dead worker's gauges


def test_gunicorn_accepts_the_conf_and_imports_the_app(tmp_path):
    gunicorn = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "gunicorn"
    if not gunicorn.exists():
        gunicorn = Path(shutil.which("gunicorn") or "gunicorn")
    done = subprocess.run(
        [str(gunicorn), "--check-config", "-c", str(GUNICORN_CONF), "onegrid.config.wsgi"],
        cwd=REPO,
        env={**os.environ, "ONEGRID_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- nginx ---------------------------------------------------------------------------------


def nginx_site_for_test(tmp_path: Path) -> Path:
    """The site with its paths moved into tmp_path and a throw-away certificate, inside a
    minimal main configuration: what /etc/nginx/nginx.conf gives it."""
    key, crt = tmp_path / "onegrid.key", tmp_path / "onegrid.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=onegrid.test", "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / "nginx" / "onegrid.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/nginx/tls/onegrid.crt", str(crt))
    site = site.replace("/etc/nginx/tls/onegrid.key", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    site = site.replace("/srv/onegrid/deploy/", f"{DEPLOY}/")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return main


def test_nginx_accepts_the_site(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not nginx or not shutil.which("openssl"):
        pytest.skip("nginx or openssl not installed (.ci/run installs nginx-light)")
    main = nginx_site_for_test(tmp_path)
    done = subprocess.run(
        [nginx, "-t", "-c", str(main), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_nginx_site_passes_what_the_app_needs():
    """Read as text, on any machine: the headers the app reads, probes kept inside, media
    only through the app, uploads as large as the app's limits."""
    site = (DEPLOY / "nginx" / "onegrid.conf").read_text(encoding="utf-8")
    proxy = (DEPLOY / "nginx" / "proxy.conf").read_text(encoding="utf-8")
    blocks = site.count("{") == site.count("}") and proxy.count("{") == proxy.count("}")
    assert blocks
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID", "Host"):
        assert f"proxy_set_header {header} " in proxy
    assert re.search(r"location /media/ \{\s*return 404;", site)
    assert re.search(r"location ~ \^/\(healthz\|readyz\|metrics\)/\?\$", site)
    assert "non_idempotent" not in proxy  # nginx never repeats a POST on another app machine
    size = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))
    assert size * 1024 * 1024 > 50 * 1024 * 1024  # ONEGRID_UPLOAD_MAX_BYTES' default


# --- systemd -------------------------------------------------------------------------------


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: {line} outside a section"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def local_command(exec_start: str) -> list[str]:
    """ExecStart's words with /srv/onegrid (the install folder) read as this checkout."""
    words = shlex.split(exec_start)
    return [w.replace("/srv/onegrid", str(REPO)) for w in words]


def onegrid_help(args: list[str]) -> str:
    """`onegrid <args> --help`, run in this process (no database): its help text."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.raises(SystemExit) as stopped,
    ):
        ManagementUtility(["onegrid", *args, "--help"]).execute()
    assert stopped.value.code in (0, None), err.getvalue()
    return out.getvalue()


def test_units_have_the_expected_keys():
    units = {p.name: read_unit(p) for p in UNITS}
    services = {n: u for n, u in units.items() if n.endswith(".service")}
    assert services
    for name, unit in services.items():
        service = unit["Service"]
        for key in ("ExecStart", "User", "WorkingDirectory", "EnvironmentFile"):
            assert key in service, f"{name} has no {key}"
        assert service["EnvironmentFile"] == ["/etc/onegrid/onegrid.env"]
        assert "Description" in unit["Unit"]
    for short, command in {**TIMED, **WORKERS}.items():
        service = services[f"onegrid-{short}.service"]["Service"]
        assert " ".join(shlex.split(service["ExecStart"][0])[1:]) == command.split(" ", 1)[1]
    for short in TIMED:
        assert services[f"onegrid-{short}.service"]["Service"]["Type"] == ["oneshot"]
        timer = units[f"onegrid-{short}.timer"]["Timer"]
        assert timer["OnCalendar"] and timer["Persistent"] == ["true"]
        assert "onegrid-timers.target" in units[f"onegrid-{short}.timer"]["Install"]["WantedBy"]
    for short in WORKERS:
        assert services[f"onegrid-{short}.service"]["Service"]["Restart"] == ["always"]
    app = services["onegrid-app.service"]["Service"]
    assert "deploy/gunicorn.conf.py" in app["ExecStart"][0]
    assert app["Environment"] == ["PROMETHEUS_MULTIPROC_DIR=/run/onegrid-app/metrics"]
    wanted = " ".join(units["onegrid.target"]["Unit"]["Wants"])
    assert all(f"onegrid-{w}.service" in wanted for w in ["app", *WORKERS])
    timers = " ".join(units["onegrid-timers.target"]["Unit"]["Wants"])
    assert all(f"onegrid-{t}.timer" in timers for t in TIMED)


def test_every_unit_runs_a_command_that_exists():
    checked = 0
    for path in UNITS:
        unit = read_unit(path)
        for exec_start in unit.get("Service", {}).get("ExecStart", []):
            words = local_command(exec_start)
            program = Path(words[0])
            assert program.is_absolute(), exec_start
            if program.parent == REPO / ".venv" / "bin" and (REPO / ".venv").exists():
                assert program.exists(), f"{path.name}: {program} is not installed"
            if program.name != "onegrid":
                continue
            args = words[1:]
            command = [w for w in args if not w.startswith("-")]
            if command[0] == "rqworker":
                # django-rq's command, there with ONEGRID_TASKS=rq; its words are queue names
                text = subprocess.run(
                    [str(program), "rqworker", "--help"],
                    env={**os.environ, "ONEGRID_TASKS": "rq"},
                    capture_output=True, text=True, timeout=120, check=True,
                ).stdout  # fmt: skip
                assert set(command[1:]) == {"notify", "forwarding", "default"}
                assert "--burst" in text
            else:
                text = onegrid_help(command)
            for option in (w for w in args if w.startswith("--")):
                assert option in text, f"{path.name}: {option} unknown to onegrid {command}"
            checked += 1
    assert checked == len(TIMED) + len(WORKERS) + 1  # and the rq worker


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze not installed")
    copies = []
    for path in UNITS:
        text = path.read_text(encoding="utf-8").replace("/srv/onegrid", str(REPO))
        text = text.replace("/etc/onegrid/onegrid.env", str(tmp_path / "onegrid.env"))
        text = re.sub(r"^(User|Group)=onegrid$", r"\1=root", text, flags=re.M)
        copy = tmp_path / path.name
        copy.write_text(text, encoding="utf-8")
        copies.append(str(copy))
    (tmp_path / "onegrid.env").write_text("ONEGRID_PRODUCTION=1\n")
    if not (REPO / ".venv" / "bin" / "onegrid").exists():
        pytest.skip("no .venv in the checkout: the units' programs cannot be checked")
    done = subprocess.run(
        [analyze, "verify", *copies], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if re.search(r"Unknown|Failed|ignoring|not executable|Invalid|Missing", line)
    ]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr
