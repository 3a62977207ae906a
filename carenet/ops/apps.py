from django.apps import AppConfig


class OpsConfig(AppConfig):
    """No models: an app only so that ``retention`` is a management command."""

    name = "carenet.ops"
    label = "ops"
