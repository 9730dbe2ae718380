"""Outbound safety of notify's HTTP sends (webhooks, the SMS gateway): a receiver's redirect is
never followed (it could point the worker at an internal address, and would carry the
signature headers there), and only http(s) addresses are ever opened."""

from __future__ import annotations

import urllib.request

import pytest

from onegrid.notify import sending
from onegrid.notify.sending import SendError
from support.receivers import Receiver


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(status):
    with Receiver().running() as inside:
        outside = Receiver(status=status, headers={"Location": inside.url + "/internal"})
        with outside.running():
            request = urllib.request.Request(outside.url + "/", data=b"{}", method="POST")
            with pytest.raises(SendError):
                sending.post(request)
            assert [(r["method"], r["path"]) for r in outside.requests] == [("POST", "/")]
            assert inside.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:,{}"])
def test_only_http_addresses_are_opened(url):
    with pytest.raises(SendError):
        sending.post(urllib.request.Request(url, data=b"{}", method="POST"))
