from django.test import Client

from onegrid.org.models import User
from support.cases import drive


def test_admin_lists_cases_read_only(world):
    case = drive(world, "dispatched")
    User.objects.create_superuser("root", password="pw-root-123")
    client = Client()
    client.login(username="root", password="pw-root-123")
    listing = client.get("/admin/cases/case/")
    assert listing.status_code == 200 and case.number in listing.content.decode()
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    client.post(f"/admin/cases/case/{case.pk}/change/", {"state": "closed"})
    case.refresh_from_db()
    assert case.state == "dispatched"
    for path in [
        "/admin/org/user/",
        "/admin/org/department/",
        "/admin/territory/grid/",
        "/admin/cases/caseclass/",
    ]:
        assert client.get(path).status_code == 200, path
