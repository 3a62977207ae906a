"""The production server: gunicorn serving the WSGI app (whitenoise serves static files)."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _CareNetServer(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from carenet.wsgi import application

        return application


def run_server(*, host: str, port: int, workers: int) -> None:
    _CareNetServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": 4,
            "worker_class": "gthread",
            "timeout": 120,
            "graceful_timeout": 20,
            "accesslog": "-",
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',  # no query strings
            "preload_app": True,
        }
    ).run()
