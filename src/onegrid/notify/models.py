"""Notifications and the durable job queue they ride on: the in-app inbox, SMS, email and signed
webhooks, fanned out from the case history."""
