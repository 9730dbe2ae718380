"""Open311 in the admin: clients (a new key is shown once, on adding or renewing) and the
attributes each service (case class) asks for."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.core.errors import DomainError
from onegrid.org import access_log, policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit

from . import services
from .models import ApiClient, ClientRequest, ServiceAttribute


def _admin(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the admin site lets only signed-in staff in
    return request.user


class NewClientForm(forms.ModelForm[ApiClient]):
    class Meta:
        model = ApiClient
        fields = ["name", "jurisdiction"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["jurisdiction"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = AdminUnit.objects.filter(level__in=["district", "street"])


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin[ApiClient]):
    list_display = ["name", "jurisdiction", "key_prefix", "active", "created_at", "revoked_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    readonly_fields = ["key_prefix", "user", "created_at", "revoked_at", "active"]
    actions = ["revoke", "renew_key"]

    def get_form(
        self,
        request: HttpRequest,
        obj: ApiClient | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm[ApiClient]]:
        if obj is None:
            kwargs["form"] = NewClientForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ApiClient | None = None):
        if obj is None:
            return ["name", "jurisdiction"]
        return ["name", "jurisdiction", "key_prefix", "user", "active", "created_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> list[str]:
        # The jurisdiction is the binding of the service user's role: a client for another
        # place is a new client.
        return [*self.readonly_fields, "jurisdiction"] if obj is not None else []

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policies.may_manage_api_clients(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policies.may_manage_api_clients(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return policies.may_manage_api_clients(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policies.may_manage_api_clients(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the requests it posted keep their client

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        client, key = services.add_client(
            actor=_admin(request), name=obj.name, jurisdiction_code=obj.jurisdiction.code
        )
        obj.pk = client.pk
        messages.warning(
            request,
            _("The key of %(name)s, shown only now — copy it to the client: %(key)s")
            % {"name": client.name, "key": key},
        )

    @admin.action(description=gettext_lazy("Revoke the selected clients' keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            services.revoke_client(actor=_admin(request), client_id=client.pk)
        messages.success(request, _("%(n)d clients revoked.") % {"n": queryset.count()})

    @admin.action(description=gettext_lazy("Give the selected clients new keys"))
    def renew_key(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            try:
                key = services.new_key(actor=_admin(request), client_id=client.pk)
            except DomainError as error:
                messages.error(request, str(error.message))
                continue
            messages.warning(
                request,
                _("The key of %(name)s, shown only now — copy it to the client: %(key)s")
                % {"name": client.name, "key": key},
            )


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin[ServiceAttribute]):
    list_display = ["case_class", "order", "code", "datatype", "required", "description"]
    list_filter = ["datatype", "required"]
    search_fields = ["code", "description", "case_class__code", "case_class__name"]
    autocomplete_fields = ["case_class"]


@admin.register(ClientRequest)
class ClientRequestAdmin(access_log.RecordedReadsAdmin, admin.ModelAdmin[ClientRequest]):
    list_display = ["case", "client", "created_at"]
    # The contact details are shown in full on a request's own page: each look is recorded.
    access_kind = access_log.Kind.OPEN311_CONTACT
    CONTACT_FIELDS = ("email", "first_name", "last_name", "device_id", "account_id")

    def personal_fields(self, obj: ClientRequest, *, listed: bool) -> list[str]:
        return [] if listed else access_log.shown_fields(obj, self.CONTACT_FIELDS)

    list_filter = ["client"]
    readonly_fields = [f.name for f in ClientRequest._meta.fields]

    # Contact details a client sent: the administrators who keep the clients, no one else.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return policies.may_manage_api_clients(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policies.may_manage_api_clients(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
