import pytest
from django.utils import translation

from tests.factories import World, world_build


@pytest.fixture(autouse=True, scope="session")
def _queue_runs_jobs_at_once():
    """Huey in immediate mode: a queued job runs in the test itself (in-memory storage)."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture(autouse=True, scope="session")
def _static_files_not_collected(tmp_path_factory):
    """Pages name the plain static files (served from the apps' folders), even when a
    `carenet serve` has collected hashed ones into this CARENET_HOME: the live server of the
    browser tests finds files by their plain names only. tests/test_static_files.py
    collects into a folder of its own."""
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.utils.functional import empty

    settings.STATIC_ROOT = tmp_path_factory.mktemp("static")
    staticfiles_storage._wrapped = empty
    yield


@pytest.fixture(autouse=True)
def _carenet_home(tmp_path_factory, settings):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    # Argon2 is deliberately slow; tests that are not about hashing use a fast hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A request in English leaves English active in this thread; start each test in Chinese.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def world(db) -> World:
    return world_build()
