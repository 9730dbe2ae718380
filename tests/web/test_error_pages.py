"""Django's own error pages are English ("Not Found. The requested resource was not found on
this server."); a new user met them on a Chinese site: a resident opening someone else's
tracking code, a mistyped address. OneGrid's are translated and keep the top bar."""

import pytest
from django.test import Client

from support.web import client_for


@pytest.mark.django_db
def test_not_found_is_a_translated_page(world):
    page = Client().get("/no-such-page/")
    assert page.status_code == 404
    text = page.content.decode()
    assert "not found on this server" not in text
    assert "找不到" in text and 'id="not-found"' in text
    # A resident asking for a report that is not theirs: the same page, with their top bar.
    mine = client_for(world, "resident").get("/resident/reports/ZZZZZZZZZZ/")
    assert mine.status_code == 404 and "找不到" in mine.content.decode()
    assert 'id="bell-count"' in mine.content.decode()  # signed in: the top bar's bell


@pytest.mark.django_db
def test_server_error_page_is_in_chinese_and_needs_no_context():
    from django.template import loader

    text = loader.get_template("500.html").render()
    assert "服务器出错" in text
