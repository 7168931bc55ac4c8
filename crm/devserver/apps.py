from django.apps import AppConfig


class DevServerConfig(AppConfig):
    name = "crm.devserver"
    label = "devserver"
    verbose_name = "Development server"
