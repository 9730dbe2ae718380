from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "onegrid.core"
    label = "core"
