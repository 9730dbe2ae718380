"""The public pages driven through the real services: an anonymous report followed by its
tracking code from the public form to the fix, its photo shown once the desk approved it
through the workflow (approve_photo), and the fix in the feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.test import Client

from onegrid.cases import services
from onegrid.cases.models import Photo
from onegrid.residents import public
from support.cases import act, new_key, photo

PHONE = "13566667777"


def test_an_anonymous_report_from_intake_to_the_feed(world, pages_on):
    p = world.people
    lon, lat = world.point
    case = services.report_anonymously(
        lon=lon,
        lat=lat,
        class_code=world.rubbish.code,
        description=f"小区门口垃圾堆了三天，请联系我 {PHONE}",
        photo_files=[photo()],
        reporter_phone=PHONE,
        idempotency_key=new_key(),
    ).case
    anyone = Client()
    status = f"/public/reports/{case.tracking_code}/"

    # Before a desk accepted it: progress only, not on the list.
    html = anyone.get(status).content.decode()
    assert str(public.STATE_WORDS[case.state]) in html and 'id="public-unlisted"' in html
    assert case.number not in anyone.get("/public/").content.decode()

    # Confirmed on site, registered: listed, the phone hidden, the photo not yet shown.
    case = act(case, p.acceptor, "request_verification")
    case = act(case, p.worker, "verify", result="confirmed")
    case = act(case, p.acceptor, "register")
    listing = anyone.get("/public/").content.decode()
    assert case.number in listing and PHONE not in listing
    shot = Photo.objects.get(case=case)
    assert f"/public/photos/{shot.pk}/" not in listing

    # The desk approves the photo through the workflow: now it is shown.
    case = act(case, p.acceptor, "approve_photo", photo=str(shot.pk))
    listing = anyone.get("/public/").content.decode()
    assert f"/public/photos/{shot.pk}/thumb.jpg" in listing
    assert anyone.get(f"/public/photos/{shot.pk}/view.jpg").status_code == 200

    # Dispatched, fixed, checked, closed: the status page and the feed say so.
    case = act(case, p.dispatcher, "dispatch")
    case = act(case, p.city_handler, "sign")
    case = act(case, p.city_handler, "feed_back", reason="清运完毕", photos=[photo()])
    case = act(case, p.worker, "pass_check")
    case = act(case, p.acceptor, "close")
    html = anyone.get(status).content.decode()
    assert str(public.STATE_WORDS["closed"]) in html and PHONE not in html
    feed = anyone.get("/public/feed.atom", {"grid": case.grid.code})
    root = ET.fromstring(feed.content)
    ids = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}id")]
    assert any(i.endswith(f"/public/cases/{case.number}/") for i in ids)
    assert PHONE.encode() not in feed.content
