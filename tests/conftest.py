import pytest

from tests.factories import World, world_build


@pytest.fixture(autouse=True)
def _carenet_home(tmp_path_factory, settings):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def world(db) -> World:
    return world_build()
