"""Forwarding cases to other systems (a city 12345 platform, say) by webhook or Open311, retried
until acknowledged and reconciled."""
