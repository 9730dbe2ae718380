"""The Open311 GeoReport v2 edge: discovery, services, requests, tokens and the
servicerequestupdates extension."""
