"""The console queue and the department inbox as downloads: exactly the cases of every page of
the list, for each role, with the page's filters; bounded; odd parameters refused."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from onegrid.cases.models import Case
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.web.views import console, inbox
from support.cases import act, drive, report
from support.web import client_for

NUMBER = re.compile(r'<tr data-number="([^"]+)"')


@pytest.fixture
def cases(world, monkeypatch):
    """Cases in both streets and several states; pages of two rows, so every list pages."""
    monkeypatch.setattr(console, "PAGE_SIZE", 2)
    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    p = world.people
    made = [report(world) for _ in range(3)]
    made.append(report(world, case_class=world.building, point=world.point))
    made += [drive(world, "dispatched") for _ in range(2)]
    made.append(drive(world, "in_progress", case_class=world.building))
    made += [report(world, who=p.far_worker, point=world.far_point) for _ in range(3)]
    far = act(report(world, who=p.far_worker, point=world.far_point), p.other_acceptor, "register")
    far_dispatcher = User.objects.create_user("far_dispatcher")
    RoleAssignment.objects.create(
        user=far_dispatcher, role=Role.DISPATCHER, unit=world.other_street
    )
    made.append(act(far, far_dispatcher, "dispatch", department="ecology"))
    supervisor = User.objects.create_user("supervisor", password="pw-supervisor")
    RoleAssignment.objects.create(user=supervisor, role=Role.SUPERVISOR, unit=world.district)
    world.people.supervisor = supervisor
    return made


def _page_numbers(client, url: str) -> list[str]:
    """The case numbers of every page of the list, following its pager."""
    numbers: list[str] = []
    page = 1
    while True:
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}page={page}")
        assert response.status_code == 200
        body = response.content.decode()
        numbers += NUMBER.findall(body)
        if 'rel="next"' not in body:
            return numbers
        page += 1


def _csv_numbers(client, url: str, column: int = 0) -> list[str]:
    sep = "&" if "?" in url else "?"
    response = client.get(f"{url}{sep}format=csv")
    assert response.status_code == 200, response.content[:500]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return [row[column] for row in table[1:]]


def _xlsx_numbers(client, url: str, column: int = 0) -> list[str]:
    sep = "&" if "?" in url else "?"
    response = client.get(f"{url}{sep}format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [row[column] for row in list(book.active.iter_rows(values_only=True))[1:]]


CONSOLE_URLS = [
    "/console/?tab=all",
    "/console/?tab=incoming",
    "/console/?tab=handling",
    "/console/?tab=open&class=A0101",
    f"/console/?tab=all&source=grid_worker&q={'2'}",
]


@pytest.mark.parametrize("who", ["acceptor", "other_acceptor", "command", "supervisor"])
def test_console_download_holds_exactly_the_pages_cases(world, cases, who):
    client = client_for(world, who)
    for url in [*CONSOLE_URLS, f"/console/?tab=all&grid={world.grids[2].code}"]:
        shown = _page_numbers(client, url)
        assert _csv_numbers(client, url) == shown, (who, url)
        assert _xlsx_numbers(client, url) == shown, (who, url)
    everything = set(_page_numbers(client, "/console/?tab=all"))
    mine = {c.number for c in Case.objects.filter(street=world.street)}
    theirs = {c.number for c in Case.objects.filter(street=world.other_street)}
    if who == "acceptor":
        assert everything == mine
    elif who == "other_acceptor":
        assert everything == theirs
    else:  # the command centre and supervision see the district
        assert everything == mine | theirs
    assert len(everything) > 2  # more than one page


@pytest.mark.parametrize("who", ["city_handler", "eco_handler", "market_handler"])
def test_inbox_download_holds_exactly_the_pages_tasks(world, cases, who):
    client = client_for(world, who)
    for url in ["/inbox/", "/inbox/?tab=new", "/inbox/?tab=doing"]:
        shown = _page_numbers(client, url)
        assert _csv_numbers(client, url, column=3) == shown, (who, url)
        assert _xlsx_numbers(client, url, column=3) == shown, (who, url)
    shown = set(_page_numbers(client, "/inbox/"))
    expected = {
        "city_handler": {c.number for c in cases if c.street_id == world.street.pk}
        & {c.number for c in Case.objects.filter(state__in=["dispatched", "in_progress"])},
        "eco_handler": {cases[-1].number},
        "market_handler": set(),
    }[who]
    assert shown == expected


def test_downloads_are_refused_to_who_may_not_open_the_page(world, cases):
    assert client_for(world, "city_handler").get("/console/?format=csv").status_code == 403
    assert client_for(world, "acceptor").get("/inbox/?format=csv").status_code == 403
    assert client_for(world, "leader").get("/console/?format=xlsx").status_code == 403


def test_download_shows_no_phone_and_masks_nothing_it_should_not_hold(world, cases):
    body = b"".join(
        client_for(world, "command").get("/console/?tab=all&format=csv").streaming_content
    ).decode("utf-8-sig")
    assert "13812345678" not in body and "1381" not in body
    header = next(csv.reader(io.StringIO(body)))
    assert header[0] == "案件" and "上报时间" in header


def test_too_long_a_list_is_refused_with_its_count(world, cases, settings):
    settings.ONEGRID = {**settings.ONEGRID, "EXPORT_MAX_ROWS": 4}
    response = client_for(world, "command").get("/console/?tab=all&format=xlsx")
    assert response.status_code == 400
    text = response.content.decode()
    assert 'data-field="filters"' in text and str(len(cases)) in text
    # Narrowed to fit, it goes through.
    narrowed = client_for(world, "command").get(
        f"/console/?tab=all&grid={world.grids[2].code}&format=csv"
    )
    assert narrowed.status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=pdf", "format"),
        ("format=" + "x" * 10_000, "format"),
        ("q=" + "井" * 10_000, "q"),
        ("q=%00abc", "q"),
        ("grid=1%0a2", "grid"),
        ("class=" + "A" * 500, "class"),
        ("format=csv&q=%01", "q"),
    ],
)
def test_odd_parameters_are_4xx_naming_the_field(world, cases, query, field):
    response = client_for(world, "acceptor").get(f"/console/?tab=all&{query}")
    assert 400 <= response.status_code < 500
    assert f'data-field="{field}"'.encode() in response.content


@pytest.mark.parametrize("query", ["page=%D9%A1", "page=99999999999999999999", "page=-1", "tab=x"])
def test_odd_pages_and_tabs_still_answer(world, cases, query):
    assert client_for(world, "acceptor").get(f"/console/?{query}").status_code == 200
    assert client_for(world, "city_handler").get(f"/inbox/?{query}").status_code == 200


@pytest.mark.parametrize("fmt", ["pdf", "x" * 5000, "%00"])
def test_the_inbox_refuses_an_unknown_format_naming_it(world, cases, fmt):
    response = client_for(world, "city_handler").get(f"/inbox/?format={fmt}")
    assert response.status_code == 400
    assert b'data-field="format"' in response.content
