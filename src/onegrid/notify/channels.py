"""Sending one Delivery on its channel: SMS through the gateway (notify.sms), e-mail through
Django's mail, webhooks as signed JSON POSTs (notify.signing). Each raises sending.SendError when
the message did not go through (it is then tried again), and returns when it did."""

from __future__ import annotations

import smtplib
import urllib.request
from typing import TYPE_CHECKING

from django.core.mail import send_mail

from . import sending, signing, sms
from .sending import GiveUp, SendError

if TYPE_CHECKING:
    from .models import Delivery


def send(delivery: Delivery) -> None:
    payload = delivery.payload or {}
    if delivery.channel == "sms":
        sms.gateway().send(
            phone=delivery.address, text=str(payload.get("text", "")), key=delivery.key
        )
    elif delivery.channel == "email":
        try:
            sent = send_mail(
                str(payload.get("subject", "")),
                str(payload.get("text", "")),
                None,
                [delivery.address],
            )
        except (smtplib.SMTPException, OSError) as e:
            raise SendError(f"{type(e).__name__}: {e}") from None
        if sent != 1:
            raise SendError("the mail backend did not send the message")
    elif delivery.channel == "webhook":
        endpoint = delivery.endpoint
        if endpoint is None or not endpoint.active:
            raise GiveUp("the webhook endpoint was deleted or deactivated")
        body, headers = signing.signed_json(endpoint.secret, payload, str(delivery.id))
        request = urllib.request.Request(endpoint.url, data=body, method="POST", headers=headers)
        sending.post(request)  # any 2xx acknowledges
    else:
        raise SendError(f"unknown channel {delivery.channel!r}")
