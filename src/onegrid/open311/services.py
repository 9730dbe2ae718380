"""Open311 writes: registering and revoking clients, and a client's service request (which
becomes a case through cases.services.report_case, the one way a case is made)."""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _

from onegrid.cases import services as case_services
from onegrid.cases.models import Case, CaseClass, Source
from onegrid.core import clock, versions
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.org import policies
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory import locator
from onegrid.territory.models import Address, AdminUnit

from .models import ApiClient, ClientRequest, ServiceAttribute

KEY_BYTES = 32
# Attributes a request may carry at all; those the class defines are at most 30 (report_case).
MAX_SENT_ATTRIBUTES = 100
MAX_ATTRIBUTE_VALUE = 500
# What report_case calls a field, as an Open311 client knows it.
FIELD_NAMES = {
    "class_code": "service_code",
    "lon": "long",
    "lat": "lat",
    "address_code": "address_id",
    "reporter_phone": "phone",
    "reporter_name": "first_name",
    "photos": "media",
    "attributes": "attribute",
}
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- clients ---


def add_client(*, actor: User | None, name: str, jurisdiction_code: str) -> tuple[ApiClient, str]:
    """Register a client: its service user (Role.API_CLIENT bound to the jurisdiction) and a
    new key, returned once as text; only its SHA-256 is stored. `actor` None: the operator at
    the command line."""
    if actor is not None and not policies.may_manage_api_clients(actor):
        raise PermissionDenied(_("Only administrators register Open311 clients."), field="actor")
    name = _plain(name, 100, "name")
    if not name:
        raise InvalidInput(_("name is required."), field="name")
    unit = AdminUnit.objects.filter(code=str(jurisdiction_code).strip()).first()
    if unit is None or unit.level not in ("district", "street"):
        raise InvalidInput(
            _("jurisdiction must be the code of the district or of one of its streets."),
            field="jurisdiction",
        )
    with transaction.atomic():
        if ApiClient.objects.filter(name=name).exists():
            raise InvalidInput(
                _("A client named %(name)s exists already.") % {"name": name}, field="name"
            )
        client = ApiClient(name=name, jurisdiction=unit, created_at=clock.now())
        user = User(
            username=_free_username(name),
            display_name=name[:100],
        )
        user.set_unusable_password()
        user.save()
        RoleAssignment.objects.create(user=user, role=Role.API_CLIENT, unit=unit)
        client.user = user
        raw = _set_key(client)
        client.save()
    return client, raw


def new_key(*, actor: User | None, client_id: uuid.UUID | str) -> str:
    """Replace a client's key (the old one stops working at once); the new one is returned
    once."""
    if actor is not None and not policies.may_manage_api_clients(actor):
        raise PermissionDenied(_("Only administrators register Open311 clients."), field="actor")
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise NotFound(_("No such client."), field="client")
        raw = _set_key(client)
        client.save(update_fields=["key_digest", "key_prefix"])
    return raw


def revoke_client(*, actor: User | None, client_id: uuid.UUID | str) -> ApiClient:
    """Stop a client: its key is refused from now on and its service user is deactivated."""
    if actor is not None and not policies.may_manage_api_clients(actor):
        raise PermissionDenied(_("Only administrators register Open311 clients."), field="actor")
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise NotFound(_("No such client."), field="client")
        if client.active:
            client.active = False
            client.revoked_at = clock.now()
            client.save(update_fields=["active", "revoked_at"])
            User.objects.filter(pk=client.user_id).update(is_active=False)
            versions.bump(versions.ACCESS)  # (update() sends no signal) its token stops now
    return client


def _set_key(client: ApiClient) -> str:
    raw = secrets.token_urlsafe(KEY_BYTES)
    client.key_digest = ApiClient.digest_of(raw)
    client.key_prefix = raw[:8]
    return raw


def _free_username(name: str) -> str:
    base = "open311-" + (slugify(name)[:40] or "client")
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def authenticate(raw_key: object) -> ApiClient:
    """The active client whose key this is; a 403 for a missing, unknown or revoked key."""
    if not isinstance(raw_key, str) or not raw_key.strip():
        raise PermissionDenied(_("api_key is required to post a request."), field="api_key")
    if len(raw_key) > 200:
        raise PermissionDenied(_("api_key is not a valid key."), field="api_key")
    client = (
        ApiClient.objects.select_related("user", "jurisdiction")
        .filter(key_digest=ApiClient.digest_of(raw_key.strip()))
        .first()
    )
    if client is None:
        raise PermissionDenied(_("api_key is not a valid key."), field="api_key")
    if not client.active or not client.user.is_active:
        raise PermissionDenied(_("api_key was revoked."), field="api_key", code="revoked")
    return client


# --- requests ---


@dataclass(frozen=True)
class RequestForm:
    """A POST requests body as sent, every value text (the edge parsed nothing)."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    description: str = ""
    media_url: str = ""
    attributes: Mapping[str, Sequence[str]] | None = None


def submit_request(
    *,
    client: ApiClient,
    form: RequestForm,
    media: Sequence[File[bytes]] = (),
    idempotency_key: str | None = None,
) -> case_services.Outcome:
    """POST requests: check every field, then report the case as the client's service user
    (source open311). Without an idempotency key the key is the request's own content, so a
    client's blind retry of the same POST returns the first case instead of a second."""
    service_code = _plain(form.service_code, 20, "service_code")
    if not service_code:
        raise InvalidInput(_("service_code is required."), field="service_code")
    case_class = CaseClass.objects.filter(code=service_code, active=True).first()
    if case_class is None:  # GeoReport v2: "404 - service_code … provided were not found"
        raise NotFound(
            _("service_code %(code)s is not a service of this jurisdiction.")
            % {"code": service_code},
            field="service_code",
        )
    lon, lat = _point(form.long, form.lat)
    address_id = _plain(form.address_id, 40, "address_id")
    address_string = _plain(form.address_string, 200, "address_string")
    if lon is None and not address_id:
        address_id = _address_by_name(address_string)
    attributes = check_attributes(case_class, form.attributes or {})
    email = _plain(form.email, 254, "email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(_("email is not an e-mail address."), field="email") from None
    phone = case_services.contact_phone(_plain(form.phone, 20, "phone"), field="phone")
    first_name = _plain(form.first_name, 50, "first_name")
    last_name = _plain(form.last_name, 50, "last_name")
    device_id = _plain(form.device_id, 100, "device_id")
    account_id = _plain(form.account_id, 100, "account_id")
    media_url = _plain(form.media_url, 500, "media_url")
    if media_url and not media_url.lower().startswith(("http://", "https://")):
        raise InvalidInput(_("media_url must be an http(s) URL."), field="media_url")
    description = _text(form.description, "description")
    _check_jurisdiction(client, lon, lat, address_id)
    key = (idempotency_key or "").strip() or _content_key(form, media)
    try:
        outcome = case_services.report_case(
            actor=client.user,
            lon=lon,
            lat=lat,
            address_code=address_id or None,
            class_code=case_class.code,
            description=description,
            address=address_string,
            photo_files=list(media),
            source=Source.OPEN311,
            reporter_name=full_name(first_name, last_name)[:100],
            reporter_phone=phone,
            attributes=attributes,
            idempotency_key=key,
        )
    except InvalidInput as error:
        error.field = FIELD_NAMES.get(error.field or "", error.field)
        raise
    with transaction.atomic():
        ClientRequest.objects.get_or_create(
            case=outcome.case,
            defaults={
                "client": client,
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
                "device_id": device_id,
                "account_id": account_id,
                "address_string": address_string,
                "media_url": media_url,
                "created_at": clock.now(),
            },
        )
    return outcome


def full_name(first: str, last: str) -> str:
    """A person's name from Open311's two fields: family name first and no space when both
    are Chinese (王 + 小明 → 王小明), else "first last"."""
    if first and last and all(_is_cjk(ch) for ch in first + last):
        return last + first
    return " ".join(p for p in (first, last) if p)


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch == "\u00b7"


def check_attributes(case_class: CaseClass, sent: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The attribute[code] values checked against the class's definition: every required one
    given, numbers, dates and list keys as their datatype says; codes the class does not ask
    for are ignored. A multivaluelist's keys are joined with commas."""
    if len(sent) > MAX_SENT_ATTRIBUTES:
        raise InvalidInput(
            _("At most %(n)d attributes.") % {"n": MAX_SENT_ATTRIBUTES}, field="attribute"
        )
    defined = {a.code: a for a in ServiceAttribute.objects.filter(case_class=case_class)}
    out: dict[str, str] = {}
    for code, values in sent.items():
        field = f"attribute[{code}]"[:60]
        attribute = defined.get(code)
        if attribute is None or not attribute.variable:
            # Not asked by this service: ignored, not stored. FixMyStreet-style clients send
            # their own (title, report_url, fixmystreet_id…) to every server.
            continue
        values = [str(v).strip() for v in values if str(v).strip()]
        if not values:
            continue
        Datatype = ServiceAttribute.Datatype
        if attribute.datatype != Datatype.MULTIVALUELIST and len(values) > 1:
            raise InvalidInput(_("%(field)s takes one value.") % {"field": field}, field=field)
        for value in values:
            if len(value) > MAX_ATTRIBUTE_VALUE or _CONTROL.search(
                value.replace("\n", "").replace("\r", "").replace("\t", "")
            ):
                raise InvalidInput(
                    _("%(field)s must be at most %(n)d characters of text.")
                    % {"field": field, "n": MAX_ATTRIBUTE_VALUE},
                    field=field,
                )
            if attribute.datatype == Datatype.NUMBER and not (
                _NUMBER.match(value) and math.isfinite(float(value))
            ):
                raise InvalidInput(_("%(field)s must be a number.") % {"field": field}, field=field)
            if attribute.datatype == Datatype.DATETIME:
                try:
                    moment = parse_datetime(value)
                except ValueError:
                    moment = None
                if moment is None or moment.tzinfo is None:
                    raise InvalidInput(
                        _("%(field)s must be a date and time with its offset (ISO 8601).")
                        % {"field": field},
                        field=field,
                    )
            if attribute.datatype in ServiceAttribute.LISTS and value not in (
                attribute.value_keys()
            ):
                raise InvalidInput(
                    _("%(field)s: %(value)s is not one of its values.")
                    % {"field": field, "value": value[:50]},
                    field=field,
                )
        joined = ",".join(values)
        if len(joined) > MAX_ATTRIBUTE_VALUE:
            raise InvalidInput(
                _("%(field)s must be at most %(n)d characters of text.")
                % {"field": field, "n": MAX_ATTRIBUTE_VALUE},
                field=field,
            )
        out[code] = joined
    for code, attribute in defined.items():
        if attribute.variable and attribute.required and code not in out:
            raise InvalidInput(
                _("attribute[%(code)s] is required: %(question)s")
                % {"code": code, "question": attribute.description},
                field=f"attribute[{code}]",
            )
    return out


def _plain(value: object, limit: int, field: str) -> str:
    """One line of text: trimmed, bounded, no control characters."""
    text = str(value or "").strip()
    if _CONTROL.search(text) or "\n" in text or "\r" in text:
        raise InvalidInput(
            _("%(field)s may not contain control characters.") % {"field": field}, field=field
        )
    if len(text) > limit:
        raise InvalidInput(
            _("%(field)s is longer than %(n)d characters.") % {"field": field, "n": limit},
            field=field,
        )
    return text


def _text(value: object, field: str) -> str:
    """Several lines of text: no control characters but line breaks and tabs."""
    text = str(value or "").strip()
    if _CONTROL.search(text.replace("\t", "")):
        raise InvalidInput(
            _("%(field)s may not contain control characters.") % {"field": field}, field=field
        )
    return text


def _point(lon_text: object, lat_text: object) -> tuple[float | None, float | None]:
    lon_text, lat_text = str(lon_text or "").strip(), str(lat_text or "").strip()
    if not lon_text and not lat_text:
        return None, None
    values = []
    for field, text, bound in (("long", lon_text, 180), ("lat", lat_text, 90)):
        if not text:
            raise InvalidInput(_("Send lat and long together."), field=field)
        if len(text) > 40 or not _NUMBER.match(text) or not math.isfinite(float(text)):
            raise InvalidInput(_("%(field)s must be a number.") % {"field": field}, field=field)
        value = float(text)
        if abs(value) > bound:
            raise InvalidInput(
                _("%(field)s must lie between -%(bound)d and %(bound)d.")
                % {"field": field, "bound": bound},
                field=field,
            )
        values.append(value)
    return values[0], values[1]


def _address_by_name(address_string: str) -> str:
    """A request with neither lat/long nor address_id: the standard address whose name is
    exactly the address_string, else a 400 naming lat (nothing is geocoded)."""
    if address_string:
        matches = list(
            Address.objects.filter(name=address_string, active=True).values_list("code", flat=True)[
                :2
            ]
        )
        if len(matches) == 1:
            return matches[0]
    raise InvalidInput(
        _(
            "Give the place as lat and long, or a standard address code as address_id "
            "(an address_string is used alone only when it is exactly one standard address's "
            "name)."
        ),
        field="lat",
    )


def _check_jurisdiction(
    client: ApiClient, lon: float | None, lat: float | None, address_id: str
) -> None:
    """A client bound to a street reports only inside it."""
    unit = client.jurisdiction
    if unit.level == "district":
        return
    street_id = None
    if address_id:
        address = Address.objects.filter(code=address_id).select_related("grid").first()
        if address is not None and address.grid is not None:
            street_id = address.grid.street_id
    elif lon is not None and lat is not None:
        located = locator.locate(lon, lat)
        street_id = located.street_id if located else None
    if street_id is not None and street_id != unit.id:
        raise InvalidInput(
            _("The place lies outside this client's jurisdiction (%(name)s).")
            % {"name": unit.name},
            field="address_id" if address_id else "lat",
            code="outside_jurisdiction",
        )


def _content_key(form: RequestForm, media: Sequence[File[bytes]]) -> str:
    digest = hashlib.sha256()
    fields = {k: v for k, v in form.__dict__.items() if k != "attributes"}
    fields["attributes"] = {k: list(v) for k, v in sorted((form.attributes or {}).items())}
    digest.update(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode())
    for upload in media:
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    return "open311-" + digest.hexdigest()[:56]


def client_request_of(case: Case) -> ClientRequest | None:
    return ClientRequest.objects.filter(case=case).first()
