"""Buttons and headings outside the case workflow say what they do in Chinese: "Register",
"Close", "Name" and "Item" are the case desk's 立案, 结案, a person's 姓名 and a project's 项目,
so the community page, the volunteer and resident sign-ups, the store's and organiser's forms
and the map's close button use their own words (a new user saw 立案 on "register a
co-building unit" and "register as a volunteer")."""

from __future__ import annotations

import re

from django.test import Client

from onegrid.org.models import Role, RoleAssignment, User
from support.community_lists import build


def _text(client: Client, url: str) -> str:
    answer = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 200, (url, answer.status_code)
    return answer.content.decode()


def _buttons(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", b).strip()
        for b in re.findall(r"<button[^>]*>(.*?)</button>", page, re.S)
    ]


def test_the_community_page_registers_units_and_closes_items_in_its_own_words(world):
    lw = build(world)
    client = Client()
    client.force_login(lw.organiser)
    page = _text(client, f"/communities/{lw.community.pk}/")
    buttons = _buttons(page)
    assert "登记" in buttons and "关闭" in buttons
    assert "立案" not in buttons and "结案" not in buttons
    assert "<th>单位名称</th>" in page and "<th>事项</th>" in page and "姓名" not in page


def test_volunteers_and_residents_register_without_the_case_desk_word(world):
    user = User.objects.create_user("vol-words", password="pw")
    RoleAssignment.objects.create(user=user, role=Role.RESIDENT, unit=world.district)
    client = Client()
    client.force_login(user)
    assert "注册为志愿者" in _buttons(_text(client, "/field/volunteering/"))
    assert "立案" not in _text(Client(), "/resident/register/")


def test_the_live_map_closes_its_panel_not_a_case(world):
    client = Client()
    client.force_login(world.people.leader)
    page = _text(client, "/map/")
    assert 'aria-label="关闭"' in page and "结案" not in page


def test_the_league_tables_head_their_names_for_streets_and_departments_too(world):
    client = Client()
    client.force_login(world.people.leader)
    page = _text(client, "/console/measures/")
    heads = re.findall(r'id="league-[\w-]+-table".*?<thead>(.*?)</thead>', page, re.S)
    assert heads and all("考核对象" in h and "姓名" not in h for h in heads)
