"""The production server: gunicorn serving the WSGI app (whitenoise serves static files)."""

from __future__ import annotations

import gc
import subprocess
import sys

from gunicorn.app.base import BaseApplication

from carenet.lib.process import die_with_parent, prepare_die_with_parent


class _CareNetServer(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from carenet.wsgi import application

        freeze_startup_objects()
        return application


def freeze_startup_objects() -> None:
    """Move everything loaded at start-up (Django, the app, its modules) out of the
    garbage collector's view. A school's working list allocates tens of thousands of
    short-lived objects; without this, every few requests a full collection scans all of
    start-up's objects too and that request takes ~100 ms longer (bench/care_bench.py).
    Forked workers inherit the frozen generation (preload_app)."""
    gc.collect()
    gc.freeze()


def start_queue_worker() -> subprocess.Popen:
    """The huey consumer (one thread worker) as a child process of the server."""
    prepare_die_with_parent()
    return subprocess.Popen(
        [sys.executable, "-m", "carenet.cli", "manage", "run_huey", "--workers", "1"],
        preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
    )


def stop_queue_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def static_collect() -> None:
    """Collect the static files into STATIC_ROOT: hashed names, brotli and gzip copies
    (carenet.lib.staticfiles). Run at every start, so the pages of a new version never
    name files of the old one; a few seconds, most of it compressing the new files."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def run_server(*, host: str, port: int, workers: int, queue_worker: bool = True) -> None:
    """Collect the static files, then serve until stopped; the queue worker (unless
    ``queue_worker=False``) lives and dies with the server."""
    static_collect()
    worker = start_queue_worker() if queue_worker else None
    try:
        _serve(host=host, port=port, workers=workers)
    finally:
        if worker is not None:
            stop_queue_worker(worker)


def _serve(*, host: str, port: int, workers: int) -> None:
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
