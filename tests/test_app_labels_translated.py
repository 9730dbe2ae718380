"""The admin's sections are OneGrid's apps by their verbose names: on the Chinese admin each
must read in Chinese (a new user met "notifications" and "residents" there)."""

import re

from django.apps import apps
from django.utils import translation

NAMES_AS_THEY_ARE = {"Open311"}  # a standard's name


def test_every_onegrid_app_has_a_chinese_name():
    untranslated = []
    with translation.override("zh-hans"):
        for config in apps.get_app_configs():
            if not config.name.startswith("onegrid."):
                continue
            name = str(config.verbose_name)
            if name not in NAMES_AS_THEY_ARE and not re.search(r"[\u4e00-\u9fff]", name):
                untranslated.append((config.label, name))
    assert untranslated == []


def test_every_onegrid_model_in_the_admin_has_a_chinese_name():
    from django.contrib import admin

    untranslated = []
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            if not model.__module__.startswith("onegrid."):
                continue
            name = str(model._meta.verbose_name_plural)
            if not re.search(r"[\u4e00-\u9fff]", name):
                untranslated.append((model._meta.label, name))
    assert untranslated == []
