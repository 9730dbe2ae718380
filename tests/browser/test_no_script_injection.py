"""Stored XSS (issue 9 §1.1): every text a user or an import can set reaches every page as text.

One world is planted with script payloads through the real services and imports — a catalogue
class, user display names, a team slot label, grid names (a grid layer import), police beat
codes and names (a beat layer import), standard address codes, names, buildings and units (an
address import), cases with payload descriptions, addresses, reporter names and photo file names,
workflow actions with payload reasons, and holiday names and file names (a holiday schedule).
Then chromium opens every page that shows them, as the role that sees them, and opens the
tooltips and popups that show them. On every page:

- no dialog opened, `window.__xss` (which every payload sets) is undefined;
- no element carries an inline event handler (`onerror`, `onload`…) or a `javascript:` URL, and
  no executable script mentions the payload: an injection shows even where a Content Security
  Policy stopped it from running;
- no `securitypolicyviolation` fired and no CSP error reached the console;
- the payload is shown as literal text where it belongs, so a page cannot pass by leaving it out.

Every finding is collected and reported together at the end of each test, naming the page and
the element, so one run lists every hole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.utils import timezone
from shapely import box
from shapely.geometry import mapping

from onegrid.cases import catalogue, services
from onegrid.core import clock
from onegrid.org import teams
from onegrid.org.models import Department, Role, User
from onegrid.smart import classifier
from onegrid.territory import addresses, layerio, layers, locator, selectors
from onegrid.territory.models import AdminUnit
from support.browser import open_report, phone, photo_payload, screenshot
from support.cases import act, new_key, photo
from support.classifier import TEXTS

# --- the payloads -------------------------------------------------------------------------------
# Each sets window.__xss when it runs; each is also distinct, so a page that shows the wrong text
# (or none) is caught too.
IMG = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'
IMG_SHORT = "<img src=x onerror=window.__xss=1>"  # 34 characters: fits 40-character codes
SCRIPT = "<script>window.__xss=1</script>"
SVG = '"><svg onload=window.__xss=1>'
BREAKOUT = "</script><script>window.__xss=1</script>"  # for text embedded in json_script
JS_LINK = "javascript:window.__xss=1"
# Browsers send a file name's `"` as %22 and servers drop everything up to a `/`: file names
# carry payloads without either.
FILE_IMG = "<img src=x onerror=window.__xss=1>"
FILE_SVG = "<svg onload=window.__xss=1>"

CLASS_NAME = "堆物" + IMG_SHORT
WORKER_NAME = "网格员" + SVG
HANDLER_NAME = "城管" + SCRIPT
VOLUNTEER_NAME = "志愿者" + IMG
NEWCOMER_NAME = "新队员" + BREAKOUT
SLOT_LABEL = "志愿者" + IMG_SHORT
GRID_NAMES = ["一网格" + IMG_SHORT, "二网格" + SVG, "三网格" + BREAKOUT]
GRID_FILE = FILE_SVG + ".geojson"
BEAT_FILE = FILE_IMG + ".geojson"
LAYER_NOTE = "说明" + IMG
BEATS = [  # (code, fallback code where the code rules refuse the payload, name)
    (IMG_SHORT, "B-WEST", "西警格" + SVG),
    (JS_LINK, "B-EAST", "东警格" + BREAKOUT),
]
ADDRESS_NAME = "佳园里" + IMG + BREAKOUT  # the address map holds it in a json_script too
ADDRESS_CODES = [SVG, JS_LINK]  # imported where the address code rules admit them
PLAIN_ADDRESS_CODE = "XSS-1-1-101"
BUILDING = SVG
UNIT = "<u>2</u>"
DESCRIPTION = IMG
CASE_ADDRESS = JS_LINK + " 路口"
REPORTER = SCRIPT
STREET_NAME = "果园街" + IMG
DEPARTMENT_NAME = "城管委" + BREAKOUT
REASONS = {
    "register": "登记" + BREAKOUT,
    "dispatch": "派遣" + IMG,
    "feed_back": "已处理" + SVG,
    "reject": "不予受理" + SCRIPT,
}
PHOTO_NAME = FILE_IMG + ".jpg"
NOT_AN_IMAGE = {"name": PHOTO_NAME, "mimeType": "image/jpeg", "buffer": b"not an image at all"}

# Records CSP violations from the first script of every document on.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ""}`);
});
"""
# What an injection leaves in the DOM, whether or not it ran.
PROBE = """() => {
  const cut = (el) => el.outerHTML.slice(0, 160);
  const handlers = [], jsUrls = [];
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on")) handlers.push(cut(el));
      else if (urlAttrs.includes(name) && /^\\s*javascript:/i.test(a.value)) jsUrls.push(cut(el));
    }
  }
  const scripts = Array.from(document.scripts)
    .filter((s) => (!s.type || /javascript|module/i.test(s.type)) && s.text.includes("__xss"))
    .map(cut);
  return {
    ran: typeof window.__xss === "undefined" ? null : String(window.__xss),
    handlers, jsUrls, scripts,
    violations: window.__cspViolations || [],
  };
}"""


# --- watching the browser ---------------------------------------------------------------------


class Watch:
    """Collects, per context, what an injection would show: dialogs, CSP console errors, and
    the probe's findings on every page checked; `report()` fails with all of them at once."""

    def __init__(self, ctx):
        self.findings: list[str] = []
        self._pending: list[str] = []
        ctx.add_init_script(WATCH_CSP)
        for page in ctx.pages:
            self._attach(page)
        ctx.on("page", self._attach)

    def _attach(self, page):
        def dialog(d):
            self._pending.append(f"dialog {d.type} {d.message!r}")
            d.dismiss()

        def console(message):
            if "Content Security Policy" in message.text or "Content-Security-Policy" in (
                message.text
            ):
                self._pending.append(f"console: {message.text[:200]}")

        page.on("dialog", dialog)
        page.on("console", console)

    def check(self, page, where: str, shows: dict[str, list[str]] | None = None) -> None:
        """Probe the page, then check that each text is shown, literally, inside its selector."""
        probe = page.evaluate(PROBE)
        found = {key: value for key, value in probe.items() if value}
        if self._pending:
            found["events"] = list(self._pending)
            self._pending.clear()
        if found:
            self.findings.append(f"{where} ({page.url}): {found}")
        for selector, texts in (shows or {}).items():
            shown = (
                page.locator(selector).first.inner_text() if page.locator(selector).count() else ""
            )
            for text in texts:
                if text not in shown:
                    self.findings.append(
                        f"{where}: {text!r} is not shown as text in {selector} ({shown[:300]!r})"
                    )

    def visit(self, page, url: str, where: str, shows=None) -> None:
        page.goto(url)
        self.check(page, where, shows)


def report(*watches: Watch) -> None:
    findings = [f for w in watches for f in w.findings]
    assert not findings, "Script payloads reached the DOM as markup:\n" + "\n".join(findings)


# --- planting the payloads through the real services and imports -----------------------------


@dataclass
class Planted:
    cases: dict = field(default_factory=dict)  # name → Case
    beat_codes: list[str] = field(default_factory=list)  # as imported
    address_codes: list[str] = field(default_factory=list)  # the payload codes admitted


def _geojson(features) -> bytes:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": mapping(geom)}
            for props, geom in features
        ],
    }
    return json.dumps(collection, ensure_ascii=False).encode()


def _import_layer(level: str, features, *, source: str) -> None:
    layer = layerio.read_layer(_geojson(features), level=level, filename="layer.geojson")
    assert not layer.problems, layer.problems
    result = layers.import_layer(layer=layer, actor="gis", source=source, note=LAYER_NOTE)
    assert not result.refused and result.version, result.problems


def _beat_layer() -> list[str]:
    """Import the two beats under payload codes, or under plain ones where the code rules refuse
    the payloads (the names still carry payloads); return the codes imported."""
    shapes = [box(117.10, 39.20, 117.113, 39.21), box(117.113, 39.20, 117.13, 39.21)]
    features = [({"code": c, "name": n}, s) for (c, _p, n), s in zip(BEATS, shapes, strict=True)]
    refused = {
        p.code
        for p in layerio.read_layer(_geojson(features), level="beat", filename="b.geojson").problems
    }
    codes = [plain if code in refused else code for code, plain, _n in BEATS]
    features = [
        ({"code": c, "name": n}, s) for c, (_c, _p, n), s in zip(codes, BEATS, shapes, strict=True)
    ]
    _import_layer("beat", features, source=BEAT_FILE)
    return codes


def _address_csv(rows) -> bytes:
    lines = ["code,name,building,unit,room,lon,lat"]
    for code, name, building, unit, lon, lat in rows:
        cells = [code, name, building, unit, "101", f"{lon}", f"{lat}"]
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    return ("\n".join(lines) + "\n").encode()


def _addresses(world) -> list[str]:
    """Import the addresses; return the payload codes the address code rules admitted."""
    lon, lat = world.point
    rows = [(PLAIN_ADDRESS_CODE, ADDRESS_NAME, BUILDING, UNIT, lon + 0.001, lat + 0.001)]
    rows += [
        (code, f"{ADDRESS_NAME}{i}", BUILDING, UNIT, lon + 0.001 * i, lat - 0.001)
        for i, code in enumerate(ADDRESS_CODES, 1)
    ]
    found, problems = addresses.read_addresses(_address_csv(rows), filename="a.csv")
    refused = [p.code for p in problems]
    assert all(p.field == "code" for p in problems), problems  # only the codes may be refused
    result = addresses.import_addresses(rows=found, problems=problems, accept_valid_part=True)
    assert PLAIN_ADDRESS_CODE in result.added, result.problems
    return [c for c in ADDRESS_CODES if c not in refused]


def _catalogue_class(world):
    header = (
        "major_code,major_name,major_name_en,code,name,name_en,time_limit,time_unit,urgency,"
        "default_department,route_to_street_police,minor_self_closable,filing_criteria,"
        "closing_criteria,active"
    )
    row = [
        "X",
        "本地扩展" + SVG,
        "Local",
        "X9901",
        CLASS_NAME,
        CLASS_NAME,
        "4",
        "hours",
        "blue",
        world.city_mgmt.code,
        "false",
        "false",
        "立案" + IMG,
        "结案" + IMG,
        "true",
    ]
    line = ",".join('"' + c.replace('"', '""') + '"' for c in row)
    catalogue.import_catalogue(f"{header}\n{line}\n".encode(), "csv")
    return "X9901"


def plant(world) -> Planted:
    p = world.people
    planted = Planted()
    class_code = _catalogue_class(world)
    User.objects.filter(pk=p.worker.pk).update(display_name=WORKER_NAME)
    User.objects.filter(pk=p.city_handler.pk).update(display_name=HANDLER_NAME)
    for person in (p.worker, p.city_handler):
        person.refresh_from_db()
    User.objects.create_user("vol", password="pw-vol", display_name=VOLUNTEER_NAME)
    User.objects.create_user("vol2", password="pw-vol2", display_name=NEWCOMER_NAME)
    slots = [
        {"role": s.role, "label": SLOT_LABEL if s.role == Role.VOLUNTEER else s.label}
        | {"group": s.group, "minimum": s.minimum, "order": s.order}
        for s in teams.DEFAULT_SLOTS
    ]
    teams.configure_slots(actor=p.command, slots=slots)
    grid0 = world.grids[0]
    teams.add_member(actor=p.command, grid_code=grid0.code, username="vol", role=Role.VOLUNTEER)

    # The grid layer again, under payload names: a new version through the layer import.
    _import_layer(
        "grid",
        [
            ({"code": g.code, "name": n}, g.geometry)
            for g, n in zip(world.grids, GRID_NAMES, strict=True)
        ],
        source=GRID_FILE,
    )
    planted.beat_codes = _beat_layer()
    planted.address_codes = _addresses(world)
    locator.invalidate()
    selectors.clear_cache()

    def reported(who, point, **extra):
        return services.report_case(
            actor=who,
            lon=point[0],
            lat=point[1],
            class_code=extra.pop("class_code", class_code),
            idempotency_key=new_key(),
            **extra,
        ).case

    # A: brought to the grid worker's on-site check, a reason on every step.
    a = reported(
        p.worker,
        world.point,
        description=DESCRIPTION,
        address=CASE_ADDRESS,
        photo_files=[photo(PHOTO_NAME)],
    )
    a = act(a, p.acceptor, "register", REASONS["register"])
    a = act(a, p.dispatcher, "dispatch", REASONS["dispatch"])
    a = act(a, p.city_handler, "sign")
    a = act(a, p.city_handler, "feed_back", REASONS["feed_back"], photos=[photo()])
    assert a.state == "checking"
    # B: a hotline call at the standard address, under the caller's payload name.
    b = services.report_case(
        actor=p.acceptor,
        address_code=PLAIN_ADDRESS_CODE,
        class_code=world.rubbish.code,
        source="hotline",
        reporter_name=REPORTER,
        description=BREAKOUT,
        idempotency_key=new_key(),
    ).case
    # C: with the department, signed for: its handler can feed back on the case page.
    c = reported(
        p.worker, world.point, description=SVG, address=ADDRESS_NAME, photo_files=[photo()]
    )
    c = act(c, p.acceptor, "register")
    c = act(c, p.dispatcher, "dispatch")
    c = act(c, p.city_handler, "sign")
    # D: rejected, with a payload reason.
    grid1 = world.grids[1]
    d = reported(
        p.worker2, (grid1.label_lon, grid1.label_lat), description=SCRIPT, photo_files=[photo()]
    )
    d = act(d, p.acceptor, "reject", REASONS["reject"])
    planted.cases = {"a": a, "b": b, "c": c, "d": d}
    return planted


@pytest.fixture
def planted(web, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # fusion proposals and coded layers are kept under VAR_DIR
    return plant(web.world)


def watched(web, username, **options):
    ctx = web.context(username, **options)
    return ctx, Watch(ctx), ctx.pages[0]


# --- Leaflet: open what a hover or a click would open ------------------------------------------

# The page point of each layer of a Leaflet map that has a tooltip (the address map's marker).
TOOLTIP_POINTS = """(map) => {
  const points = [];
  const box = map.getContainer().getBoundingClientRect();
  map.eachLayer((l) => {
    if (!l.getTooltip || !l.getTooltip() || !l.getLatLng) return;
    const p = map.latLngToContainerPoint(l.getLatLng());
    points.push({ x: box.left + p.x, y: box.top + p.y });
  });
  return points;
}"""
# Opens every feature's popup on a layer page's map in turn, returning each popup's text.
OPEN_POPUPS = """(id) => {
  const map = window.onegridLayerMaps[id];
  const shown = [];
  const items = [];
  map.eachLayer((l) => { if (l.feature && l.getPopup && l.getPopup()) items.push(l); });
  for (const l of items) {
    l.openPopup();
    const element = l.getPopup().getElement();  // the one just opened: closed ones fade out
    const content = element && element.querySelector(".leaflet-popup-content");
    shown.push(content ? content.innerText : "");
    l.closePopup();
  }
  return shown;
}"""


def popups(watch, page, map_id: str, where: str, texts: list[str]) -> None:
    page.wait_for_selector(f"#{map_id}[data-state=ready]")
    shown = "\n".join(page.evaluate(OPEN_POPUPS, map_id))
    watch.check(page, f"{where}: popups of #{map_id}")
    for text in texts:
        if text not in shown:
            watch.findings.append(
                f"{where}: {text!r} is in no popup of #{map_id} ({shown[:400]!r})"
            )


# --- the tests -----------------------------------------------------------------------------------


def test_desk_pages_show_every_planted_text_as_text(web, planted, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LIVE_POLL_SECONDS": 1}
    a, b, c, d = (planted.cases[k] for k in "abcd")
    grid0 = web.world.grids[0]

    # The street acceptor: queues, case pages, teams, addresses.
    ctx, watch, page = watched(web, "acceptor")
    for tab in ("incoming", "open", "handling"):
        watch.visit(page, f"/console/?tab={tab}", f"console {tab}")
    watch.check(page, "console handling", {"#queue": [CLASS_NAME, GRID_NAMES[0]]})
    watch.visit(
        page, f"/console/?tab=open&q={a.number}", "console search", {"#queue": [CLASS_NAME]}
    )
    # Typed text comes back in the search boxes and in a 404, as text too.
    for url in ("/console/?q=", "/console/addresses/?q=", "/console/teams/?q=", "/cases/"):
        watch.visit(page, url + quote(SVG + IMG), f"typed text reflected by {url}")
    watch.visit(
        page,
        f"/cases/{a.number}/",
        "case page (acceptor)",
        {
            "h1": [CLASS_NAME],
            ".facts": [GRID_NAMES[0], CASE_ADDRESS, DESCRIPTION, WORKER_NAME],
            "#timeline": [REASONS["register"], REASONS["dispatch"], REASONS["feed_back"]]
            + [WORKER_NAME, HANDLER_NAME],
        },
    )
    watch.visit(
        page,
        f"/cases/{b.number}/",
        "hotline case page",
        {".facts": [REPORTER, ADDRESS_NAME, BREAKOUT]},
    )
    watch.visit(
        page, f"/cases/{d.number}/", "rejected case page", {"#timeline": [REASONS["reject"]]}
    )
    watch.visit(page, "/console/teams/", "team list", {"#team-list": GRID_NAMES[:2]})
    watch.visit(
        page,
        f"/console/teams/{grid0.code}/",
        "team page",
        {"main": [GRID_NAMES[0], VOLUNTEER_NAME, WORKER_NAME, SLOT_LABEL]},
    )
    watch.visit(page, "/console/teams/vacancies/", "vacancies", {"#vacancies": [GRID_NAMES[0]]})
    codes = [PLAIN_ADDRESS_CODE, *planted.address_codes]
    watch.visit(
        page,
        "/console/addresses/",
        "address list",
        {
            "#addresses": [
                ADDRESS_NAME,
                BUILDING,
                UNIT,
                GRID_NAMES[0],
                *codes,
                *planted.beat_codes[:1],
            ]
        },
    )
    for code in codes:
        page.goto("/console/addresses/")
        page.locator("#addresses tr[data-code] a", has_text=code).first.click()
        page.wait_for_selector("#address-map[data-state=ready]")
        where = f"address page {code!r}"
        watch.check(page, where, {"h1": [ADDRESS_NAME], "#address-facts": [code, BUILDING]})
        # Hover the address's point: its tooltip names the address.
        point = page.evaluate(f"() => ({TOOLTIP_POINTS})(window.onegridAddressMap)")[0]
        page.mouse.move(point["x"], point["y"], steps=8)
        page.wait_for_selector("#address-map .leaflet-tooltip")
        watch.check(
            page, f"{where}: map tooltip", {"#address-map .leaflet-tooltip": [ADDRESS_NAME]}
        )
    screenshot(page, "xss-address-page")
    page.goto(f"/console/addresses/{PLAIN_ADDRESS_CODE}/")
    watch.check(page, "address page cases", {"#address-cases": [b.number]})

    # The case C's handler: the inbox, the case page, and a refused photo named with a payload.
    hctx, hwatch, hpage = watched(web, "city_handler")
    for tab in ("all", "new", "doing"):
        hwatch.visit(hpage, f"/inbox/?tab={tab}", f"inbox {tab}")
    hwatch.check(hpage, "inbox doing", {"#inbox": [CLASS_NAME, GRID_NAMES[0], ADDRESS_NAME]})
    hwatch.visit(
        hpage,
        f"/cases/{c.number}/",
        "case page (department)",
        {"h1": [CLASS_NAME], ".facts": [ADDRESS_NAME, SVG]},
    )
    hpage.click("details[data-action=feed_back] summary")
    hpage.fill("#feed_back-reason", "处理" + IMG)
    hpage.set_input_files("#feed_back-photos", NOT_AN_IMAGE)
    hpage.click("details[data-action=feed_back] button[type=submit]")
    hpage.wait_for_selector("details[data-action=feed_back] [data-field=photos].error")
    hwatch.check(
        hpage,
        "refused feedback",
        {"details[data-action=feed_back] [data-field=photos].error": [PHOTO_NAME]},
    )
    assert hpage.input_value("#feed_back-reason") == "处理" + IMG  # kept, as typed
    hwatch.visit(hpage, "/account/", "account (department)", {"main": [HANDLER_NAME]})

    # The worker's own account page, header included.
    wctx, wwatch, wpage = watched(web, "worker", phone=True)
    wwatch.visit(
        wpage, "/account/", "account (worker)", {"main": [WORKER_NAME], "header": [WORKER_NAME]}
    )

    # The command centre: a member added on the team page, an address import refused for a
    # payload code, and the live map.
    cctx, cwatch, cpage = watched(web, "command")
    cpage.goto(f"/console/teams/{grid0.code}/")
    cpage.fill("#id_add_username", "vol2")
    cpage.select_option("#id_add_role", Role.VOLUNTEER)
    cpage.click("#add-member button[type=submit]")
    cpage.wait_for_selector('tr[data-username="vol2"]')
    cwatch.check(
        cpage,
        "team page, member added",
        {".flash": [NEWCOMER_NAME, SLOT_LABEL], "main": [NEWCOMER_NAME]},
    )
    cpage.goto("/console/addresses/import/")
    lon, lat = web.world.point
    bad = _address_csv(
        [(IMG, "楼" + SVG, "", "", lon, lat), (JS_LINK + "/" + IMG, "x", "", "", lon, lat)]
    )
    cpage.set_input_files(
        "#id_file", {"name": FILE_SVG + ".csv", "mimeType": "text/csv", "buffer": bad}
    )
    cpage.click("#upload button[type=submit]")
    cpage.wait_for_selector("#import-report")
    cwatch.check(cpage, "address import report", {"#import-report": [FILE_SVG + ".csv", IMG]})

    cpage.goto("/map/")
    cpage.wait_for_selector("#map[data-state=ready]")
    cwatch.check(cpage, "live map")
    for i, grid in enumerate(web.world.grids):
        point = cpage.evaluate(f"onegridMap.pagePoint('{grid.code}')")
        # In steps, as a hand moves: the canvas renderer throttles its hover checks.
        cpage.mouse.move(point["x"], point["y"], steps=8)
        # The tooltip of the grid under the mouse (the last one fades out for a moment).
        tooltip = f'#map .leaflet-tooltip:has-text("{grid.code}")'
        cpage.wait_for_selector(tooltip)
        cwatch.check(cpage, f"live map tooltip {grid.code}", {tooltip: [GRID_NAMES[i]]})
    point = cpage.evaluate(f"onegridMap.pagePoint('{grid0.code}')")
    cpage.mouse.click(point["x"], point["y"])
    cpage.wait_for_selector(f'#grid-panel .grid-case[data-number="{a.number}"]')
    cwatch.check(
        cpage,
        "live map grid panel",
        {"#grid-panel": [GRID_NAMES[0], WORKER_NAME, VOLUNTEER_NAME, CLASS_NAME]},
    )
    cpage.keyboard.press("Escape")
    # A case reported while the map is open appears as a marker; its popup names its class.
    world = web.world
    services.report_case(
        actor=world.people.worker,
        lon=world.point[0] + 0.002,
        lat=world.point[1] + 0.002,
        class_code="X9901",
        description=IMG,
        photo_files=[photo()],
        idempotency_key=new_key(),
    )
    cpage.wait_for_function("() => onegridMap.markerCount() > 0", timeout=30_000)
    marker = cpage.evaluate(
        """() => {
          const map = onegridMap.map, box = map.getContainer().getBoundingClientRect();
          let found = null;
          map.eachLayer((l) => {
            if (l.getPopup && l.getPopup() && l.getLatLng) {
              const p = map.latLngToContainerPoint(l.getLatLng());
              found = { x: box.left + p.x, y: box.top + p.y };
            }
          });
          return found;
        }"""
    )
    cpage.mouse.click(marker["x"], marker["y"])
    cpage.wait_for_selector("#map .leaflet-popup-content")
    cwatch.check(cpage, "live map case popup", {"#map .leaflet-popup-content": [CLASS_NAME]})
    screenshot(cpage, "xss-live-map")
    report(watch, hwatch, wwatch, cwatch)


def test_field_app_shows_every_planted_text_as_text(web, planted):
    a = planted.cases["a"]
    ctx = phone(web, "worker")
    watch = Watch(ctx)
    page = ctx.pages[0]
    page.goto("/field/")
    page.wait_for_selector(f'#task-cards .card[data-case-number="{a.number}"]')
    watch.check(
        page,
        "field tasks",
        {
            "#task-cards": [CLASS_NAME, GRID_NAMES[0], CASE_ADDRESS, DESCRIPTION],
            "#report-cards": [ADDRESS_NAME, SVG],
            "header": [WORKER_NAME],
        },
    )
    # An on-site check refused for a photo that is no image: its payload name in the error.
    card = page.locator(f'#task-cards .card[data-case-number="{a.number}"]')
    card.locator("details.sheet summary").click()
    card.locator("input[type=file]").set_input_files(NOT_AN_IMAGE)
    card.locator("textarea[name=reason]").fill("核查" + SVG)
    card.locator("button[value=pass_check]").click()
    error = card.locator('[data-error-for="photos"]')
    error.wait_for(state="visible")
    watch.check(
        page, "field check refused", {f'#case-{a.number} [data-error-for="photos"]': [PHOTO_NAME]}
    )

    # The report form: the grid under the GPS fix, the class search, the address search.
    open_report(page)
    page.wait_for_function(
        "() => document.querySelector('#loc-status').textContent.includes('一网格')"
    )
    watch.check(page, "field report form", {"#loc-status": [GRID_NAMES[0]]})
    page.fill("#class-search", "X9901")
    page.wait_for_selector('#class-results .chip[data-code="X9901"]')
    watch.check(page, "field class search", {"#class-results": [CLASS_NAME]})
    page.click('#class-results .chip[data-code="X9901"]')
    watch.check(page, "field class chosen", {"#class-selected": [CLASS_NAME]})
    page.fill("#address-search", "佳园里")
    page.wait_for_selector(f'#address-results .address-option[data-address="{PLAIN_ADDRESS_CODE}"]')
    page.wait_for_function(
        "n => document.querySelectorAll('#address-results .address-option').length === n",
        arg=1 + len(planted.address_codes),
    )
    watch.check(
        page,
        "field address results",
        {"#address-results": [ADDRESS_NAME, GRID_NAMES[0], *planted.address_codes]},
    )
    page.locator(f'#address-results .address-option[data-address="{PLAIN_ADDRESS_CODE}"]').click()
    watch.check(page, "field address chosen", {"#address-selected": [ADDRESS_NAME]})
    page.set_input_files("#report-photo", photo_payload(name=PHOTO_NAME))
    thumb_alt = page.get_attribute('[data-thumbs-for="report-photo"] img', "alt")
    if thumb_alt != PHOTO_NAME:
        watch.findings.append(f"field photo thumbnail: alt {thumb_alt!r}, not the file's name")
    page.fill("#report-description", DESCRIPTION)
    page.fill("#report-address", CASE_ADDRESS)

    # Offline: the report waits in the queue under its class and address names; a second one
    # carries a "photo" that is no image, named with a payload.
    ctx.set_offline(True)
    page.wait_for_selector("#net-status", state="visible")
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    page.click("#report-another")
    page.set_input_files("#report-photo", NOT_AN_IMAGE)
    page.wait_for_selector('[data-thumbs-for="report-photo"] .file-name')
    watch.check(
        page, "field photo that is no image", {'[data-thumbs-for="report-photo"]': [PHOTO_NAME]}
    )
    page.click('#class-chips .chip[data-code="A0102"]')
    page.fill("#report-description", SCRIPT)
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    page.click("#tab-button-queue")
    page.wait_for_function(
        "() => document.querySelectorAll('#queue-list .queue-item').length === 2"
    )
    watch.check(page, "field queue", {"#queue-list": [CLASS_NAME, ADDRESS_NAME]})
    screenshot(page, "xss-field-queue")
    # Online again: the first is sent, the second refused with the server's message naming it.
    ctx.set_offline(False)
    refused = '#queue-list .queue-item[data-status="refused"]'
    page.wait_for_selector(f"{refused} .error")
    watch.check(page, "field queue, refused report", {refused: [PHOTO_NAME]})
    page.wait_for_selector("#sent-list li")
    watch.check(page, "field sent list", {"#sent-list": [CLASS_NAME, ADDRESS_NAME]})
    page.click("#tab-button-tasks")
    page.reload()
    page.wait_for_selector("#report-cards .card")
    watch.check(page, "field tasks after the report", {"#report-cards": [CASE_ADDRESS]})
    report(watch)


def test_layer_pages_show_every_planted_text_as_text(web, planted):
    ctx, watch, page = watched(web, "command")
    beat_codes = planted.beat_codes

    watch.visit(
        page,
        "/console/layers/",
        "layer versions",
        {"#history": [GRID_FILE, BEAT_FILE, LAYER_NOTE], "#current-versions": [LAYER_NOTE]},
    )
    # A beat file whose codes break the code rules: the import report names them.
    shapes = [box(117.10, 39.20, 117.105, 39.21), box(117.105, 39.20, 117.11, 39.21)]
    bad = _geojson(
        [({"code": IMG + IMG, "name": SVG}, shapes[0]), ({"code": IMG, "name": "x"}, shapes[1])]
    )
    page.set_input_files(
        "#id_file", {"name": BEAT_FILE, "mimeType": "application/geo+json", "buffer": bad}
    )
    page.select_option("#id_level", "beat")
    page.fill("#id_note", LAYER_NOTE)
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#import-report")
    watch.check(page, "layer import report", {"#import-report": [BEAT_FILE, IMG]})

    # The checks: tables and map popups.
    page.goto("/console/layers/check/?level=grid")
    popups(watch, page, "check-map", "grid check", GRID_NAMES)
    page.goto("/console/layers/check/?level=beat")
    page.wait_for_selector("#issues")
    watch.check(page, "beat check", {"#issues": [beat_codes[0]]})
    popups(watch, page, "check-map", "beat check", [*GRID_NAMES, *beat_codes])
    screenshot(page, "xss-beat-check")

    # A fusion proposal: its table of beats and both maps.
    page.goto("/console/layers/fuse/")
    page.click("#fuse-form button[type=submit]")
    page.wait_for_url("**/console/layers/proposals/**")
    watch.check(page, "fusion proposal", {"#changes": beat_codes})
    popups(watch, page, "map-before", "fusion proposal", [*GRID_NAMES, *beat_codes])
    popups(watch, page, "map-after", "fusion proposal", beat_codes)  # grids by code and beat

    # Codes for new grids, from a file (named with a payload) of grids named with payloads.
    AdminUnit.objects.filter(code="120113001001").update(
        geometry_wkb=box(117.10, 39.20, 117.12, 39.21).wkb
    )
    grid0 = web.world.grids[0]
    drawn = _geojson(
        [
            ({"code": grid0.code, "name": GRID_NAMES[0]}, box(117.10, 39.20, 117.11, 39.21)),
            ({"name": "新北" + SVG}, box(117.11, 39.205, 117.12, 39.21)),
            ({"name": "新南" + BREAKOUT}, box(117.11, 39.20, 117.12, 39.205)),
        ]
    )
    page.goto("/console/layers/codes/")
    page.set_input_files(
        "#id_file", {"name": GRID_FILE, "mimeType": "application/geo+json", "buffer": drawn}
    )
    page.click("#codes-form button[type=submit]")
    page.wait_for_url("**/console/layers/codes/*/")
    watch.check(page, "coded layer", {"#coded-summary": [GRID_FILE]})
    popups(
        watch, page, "coded-map", "coded layer", [GRID_NAMES[0], "新北" + SVG, "新南" + BREAKOUT]
    )
    screenshot(page, "xss-coded-layer")
    report(watch)


def test_calendar_page_shows_imported_holiday_names_as_text(web):
    holiday, make_up = "元旦" + IMG_SHORT, "春节" + SVG  # names hold at most 40 characters
    quoted = ['"' + text.replace('"', '""') + '"' for text in (holiday, make_up)]
    schedule = f"日期,类型,名称\n2027-01-01,休,{quoted[0]}\n2027-01-31,班,{quoted[1]}\n"
    name = FILE_IMG + ".csv"
    ctx, watch, page = watched(web, "command")
    page.goto("/console/calendar/?year=2027")
    bad = schedule + f'"{IMG_SHORT}",休,x\n'  # a date that is none: the report names the row
    page.set_input_files("#id_file", {"name": name, "mimeType": "text/csv", "buffer": bad.encode()})
    page.click("#calendar-upload button[type=submit]")
    page.wait_for_selector("#calendar-problems")
    watch.check(page, "calendar, refused file", {"#calendar-report h2": [name]})
    page.set_input_files(
        "#id_file", {"name": name, "mimeType": "text/csv", "buffer": schedule.encode()}
    )
    page.click("#calendar-upload button[type=submit]")
    with page.expect_navigation():
        page.click("#calendar-import button[type=submit]")
    page.goto("/console/calendar/?year=2027")
    page.wait_for_selector('#calendar-days tr[data-day="2027-01-31"]')
    watch.check(
        page,
        "calendar",
        {"#calendar-days": [holiday, make_up], 'tr[data-year="2027"]': [name]},
    )
    report(watch)


def test_leaders_pages_show_every_planted_text_as_text(web, planted, settings):
    """The measures dashboard (scope picker, league tables and their charts' tooltips), the
    drill-down, a person's page and the big screen (league, map tooltips), with payloads in a
    street's and a department's names besides the planted grid, class and people."""
    settings.ONEGRID = {**settings.ONEGRID, "LIVE_POLL_SECONDS": 1}
    world = web.world
    AdminUnit.objects.filter(pk=world.street.pk).update(name=STREET_NAME)
    Department.objects.filter(pk=world.city_mgmt.pk).update(name=DEPARTMENT_NAME)
    month = timezone.localtime(clock.now()).strftime("%Y-%m")
    ctx, watch, page = watched(web, "leader")
    watch.visit(
        page,
        f"/console/measures/?month={month}",
        "measures dashboard",
        {
            "#scope-select": [STREET_NAME, DEPARTMENT_NAME],
            "#league-street-table": [STREET_NAME],
            "#league-department-table": [DEPARTMENT_NAME],
            "#league-grid_worker-table": [WORKER_NAME],
        },
    )
    page.wait_for_selector("#league-street-chart[data-chart=ready] canvas")
    # Hover the streets' first bar: its tooltip names the street, as text.
    page.locator("#league-street-chart").scroll_into_view_if_needed()
    box = page.locator("#league-street-chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2, steps=8)
    page.wait_for_selector("#league-street-chart .chart-tooltip")
    tooltip = "#league-street-chart .chart-tooltip"
    watch.check(page, "league chart tooltip", {tooltip: [STREET_NAME]})
    screenshot(page, "xss-measures")
    page.locator('a[data-figure="open_now"]').click()
    page.wait_for_url("**/console/measures/cases/**")
    watch.check(
        page,
        "measures drill-down",
        {"#drill-cases": [CLASS_NAME, GRID_NAMES[0], STREET_NAME]},
    )
    watch.visit(
        page,
        f"/console/measures/people/{world.people.worker.username}/?month={month}",
        "person page",
        {"h1": [WORKER_NAME]},
    )
    watch.visit(
        page,
        f"/console/measures/?scope=street:{world.street.code}",
        "street scope",
        {"h1": [STREET_NAME]},
    )

    page.goto("/bigscreen/")
    page.wait_for_selector("#bs-map[data-state=ready]")
    page.wait_for_function("() => onegridScreen.polls() >= 1")
    watch.check(page, "big screen", {"#bs-league-top": [STREET_NAME]})
    for i, grid in enumerate(world.grids[:2]):
        point = page.evaluate(f"() => onegridScreen.pagePoint('{grid.code}')")
        page.mouse.move(point["x"], point["y"], steps=8)
        tooltip = f'#bs-map .leaflet-tooltip:has-text("{GRID_NAMES[i][:3]}")'
        page.wait_for_selector(tooltip)
        watch.check(page, f"big screen map tooltip {grid.code}", {tooltip: [GRID_NAMES[i]]})
    screenshot(page, "xss-bigscreen")
    # Hotspots: the street picker and the area named above the tables; reports: the scope picker.
    watch.visit(
        page,
        "/console/hotspots/",
        "hotspots page",
        {"#hotspot-filters": [STREET_NAME]},
    )
    page.wait_for_selector("#hotspot-map[data-state=drawn]")
    watch.check(page, "hotspots map drawn")
    watch.visit(page, "/console/reports/", "reports page", {"#generate": [STREET_NAME]})
    report(watch)


def test_case_page_panels_show_planted_texts_as_text(web, planted, settings, tmp_path):
    """The desk's suggestion panel (class names from the catalogue) and likely-duplicates panel
    (another case's class and description) on a new report's page."""
    a = planted.cases["a"]
    code = a.case_class.code
    texts = {code if c == "A0102" else c: t for c, t in TEXTS.items()}
    rows = "\n".join(f"{t},{c}" for c, ts in texts.items() for t in ts)
    dataset = classifier.read_csv(
        f"text,class\n{rows}\n".encode(), text_cols=["text"], label_col="class"
    )
    model = tmp_path / "model.npz"
    classifier.train(dataset).save(model)
    settings.ONEGRID = {**settings.ONEGRID, "CLASSIFIER_MODEL": str(model)}
    again = services.report_case(
        actor=web.world.people.worker,
        lon=a.lon,
        lat=a.lat,
        class_code=code,
        description="路边垃圾堆了好几天没人清运",
        photo_files=[photo()],
        idempotency_key=new_key(),
    ).case
    ctx, watch, page = watched(web, "acceptor")
    watch.visit(
        page,
        f"/cases/{again.number}/",
        "case page panels",
        {"#suggestions": [CLASS_NAME], "#duplicates": [CLASS_NAME, DESCRIPTION]},
    )
    report(watch)


CSP_PAGES = [
    ("command", "/console/measures/"),
    ("command", "/bigscreen/"),
    ("command", "/console/hotspots/"),
    ("command", "/console/reports/"),
    ("command", "/console/"),
    ("command", "/map/"),
    ("command", "/console/layers/check/?level=beat"),
    ("command", f"/console/addresses/{PLAIN_ADDRESS_CODE}/"),
    ("command", "/console/teams/"),
    ("worker", "/field/"),
]


def test_every_page_sends_a_content_security_policy_without_inline_script(web, planted):
    """The payloads above must not run even where a page still let one into the DOM: every
    page sends a CSP that refuses inline script, and no page breaks its own policy."""
    case = planted.cases["a"]
    pages = [*CSP_PAGES, ("command", f"/cases/{case.number}/"), ("command", "/login/")]
    contexts = {}
    for username, url in pages:
        if username not in contexts:
            ctx = web.context(username, phone=username == "worker")
            contexts[username] = (Watch(ctx), ctx.pages[0])
        watch, page = contexts[username]
        response = page.goto(url)
        page.wait_for_load_state("networkidle")
        policy = response.headers.get("content-security-policy", "")
        script_src = next(
            (d for d in policy.split(";") if d.strip().startswith(("script-src", "default-src"))),
            "",
        )
        assert script_src, f"{url}: no script-src in the policy {policy!r}"
        assert "'unsafe-inline'" not in script_src or "'nonce-" in script_src, (url, policy)
        watch.check(page, f"CSP on {url}")
    report(*(watch for watch, _page in contexts.values()))
