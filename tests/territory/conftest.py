import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the English wording of errors; the default language is zh-hans.
    with translation.override("en"):
        yield
