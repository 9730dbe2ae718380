"""The Open311 GeoReport v2 edge: discovery, services, requests, tokens and the
servicerequestupdates extension.

Rows: the attributes a service (a case class) asks for (`ServiceAttribute`), the registered
clients and their keys (`ApiClient`), and what a client sent with a request beyond the case
itself (`ClientRequest`: contact fields kept apart from the case, never shown on GET)."""

from __future__ import annotations

import hashlib
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.cases.models import Case, CaseClass
from onegrid.core.ids import uuid7
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit

ATTRIBUTE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,50}$")


class ServiceAttribute(models.Model):
    """One question a service definition asks (GeoReport v2 `attribute`), per case class."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Text (one line)")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Text (several lines)")
        SINGLEVALUELIST = "singlevaluelist", _("One of a list")
        MULTIVALUELIST = "multivaluelist", _("Several of a list")

    LISTS = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST})

    case_class = models.ForeignKey(
        CaseClass,
        on_delete=models.CASCADE,
        related_name="open311_attributes",
        verbose_name=_("problem class"),
    )
    code = models.CharField(
        _("code"),
        max_length=50,
        help_text=_("Letters, digits, '-' and '_': the name clients send as attribute[code]."),
    )
    datatype = models.CharField(_("data type"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(
        _("asks for a value"),
        default=True,
        help_text=_("Off: the attribute is only a notice shown to the reporter."),
    )
    description = models.CharField(_("question"), max_length=300)
    datatype_description = models.CharField(
        _("help on the expected value"), max_length=200, blank=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    values = models.JSONField(
        _("values"),
        default=list,
        blank=True,
        help_text=_('For list types: [{"key": "…", "name": "…"}, …].'),
    )

    class Meta:
        verbose_name = _("service attribute")
        verbose_name_plural = _("service attributes")
        ordering = ["case_class", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["case_class", "code"], name="open311_attr_code_once")
        ]

    def __str__(self) -> str:
        return f"{self.case_class_id}:{self.code}"

    def value_keys(self) -> list[str]:
        return [str(v.get("key", "")) for v in self.values or [] if isinstance(v, dict)]

    def clean(self) -> None:
        if not ATTRIBUTE_CODE.match(self.code or ""):
            raise ValidationError(
                {"code": _("Use 1–50 letters, digits, '-' or '_'.")}, code="bad_code"
            )
        values = self.values or []
        if self.datatype in self.LISTS:
            if not isinstance(values, list) or not values:
                raise ValidationError(
                    {"values": _("A list type needs at least one value.")}, code="no_values"
                )
            keys = []
            for value in values:
                if not (
                    isinstance(value, dict)
                    and isinstance(value.get("key"), str)
                    and isinstance(value.get("name"), str)
                    and value["key"].strip()
                    and len(value["key"]) <= 100
                    and len(value["name"]) <= 200
                ):
                    raise ValidationError(
                        {"values": _('Each value is {"key": "…", "name": "…"}.')},
                        code="bad_value",
                    )
                keys.append(value["key"])
            if len(set(keys)) != len(keys):
                raise ValidationError({"values": _("Value keys must differ.")}, code="dup_value")
        elif values:
            raise ValidationError(
                {"values": _("Only list types have values.")}, code="values_not_list"
            )


class ApiClient(models.Model):
    """A system registered to post requests: its key is shown once; only its SHA-256 is kept.
    It acts through its own service user, who holds Role.API_CLIENT bound to `jurisdiction`."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(
        _("key begins with"), max_length=8, editable=False, help_text=_("To tell keys apart.")
    )
    user = models.OneToOneField(
        User, on_delete=models.PROTECT, related_name="open311_client", editable=False
    )
    jurisdiction = models.ForeignKey(
        AdminUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("jurisdiction"),
        help_text=_("The district, or a street: the client may report only inside it."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class ClientRequest(models.Model):
    """What a client sent with a request beyond the case: contact details (kept for staff,
    never answered on GET), its own ids, and a media URL kept as text (never fetched)."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="open311_request"
    )
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="requests")
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    first_name = models.CharField(_("first name"), max_length=50, blank=True)
    last_name = models.CharField(_("last name"), max_length=50, blank=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    address_string = models.CharField(_("address as sent"), max_length=200, blank=True)
    media_url = models.CharField(_("media URL (not fetched)"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return f"{self.client_id} → {self.case_id}"
