"""The background job: one attempt at one forward, on the "forwarding" queue. The job carries
only the forward's id; the Forward row says whether there is anything to do (services.deliver
is idempotent), so a job run twice, late or never (the requeue sweep) does no harm."""

from __future__ import annotations

from django_tasks import task

from . import services


@task(queue_name="forwarding")
def deliver_forward(forward_id: str) -> str:
    return services.deliver(forward_id=forward_id)
