"""Helpers shared by the test folders: import them from here, never from a conftest.

- `support.world`: constants of the small `world` fixture (tests/conftest.py builds it).
- `support.cases`: photos, idempotency keys, and driving cases through the real services.
- `support.browser`: signing in, phones with a GPS position, the field app's report form, waiting,
  screenshots and photo payloads for the Playwright tests.
- `support.web`: test clients signed in as one of the world's people, for the page tests.
- `support.people`: a person with one role, made beside the world's people.
- `support.holidays`: a made-up 2027 holiday schedule across the Spring Festival.
"""
