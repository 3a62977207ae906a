"""Photos on care records: real images only, all or nothing, served only to readers."""

import datetime as dt
import io
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from carenet.care.models import CarePhoto, CareRecord

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


def _png(name="visit.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 120, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _post(client, child, kind="home_visit", photos=(), **extra):
    data = {"kind": kind, "date": "2026-10-11", "summary": "家访：奶奶身体尚可", **extra}
    if photos:
        data["photos"] = list(photos)
    return client.post(f"/care/children/{child.pk}/records/new/", data)


def test_a_home_visit_is_saved_with_its_photos(world, client):
    client.force_login(world.user("teacher"))
    response = _post(client, world.own_child, photos=[_png(), _png("room.png")])
    assert response.status_code == 302
    record = CareRecord.objects.get()
    assert record.photos.count() == 2
    stored = record.photos.first().image.name
    assert stored.startswith("care/340827/") and "visit" not in stored
    # Readable by the server's user only: the file and every folder made for it.
    path = Path(record.photos.first().image.path)
    assert oct(path.stat().st_mode)[-3:] == "600"
    assert oct(path.parent.stat().st_mode)[-3:] == "700"


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(world, client):
    client.force_login(world.user("teacher"))
    fake = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    response = _post(client, world.own_child, photos=[fake])
    assert response.status_code == 200
    assert "有效的图片" in response.content.decode()
    assert "家访：奶奶身体尚可" in response.content.decode()  # what was typed is kept
    assert not CareRecord.objects.exists() and not CarePhoto.objects.exists()


def test_more_than_six_photos_are_refused(world, client):
    client.force_login(world.user("teacher"))
    response = _post(client, world.own_child, photos=[_png(f"{i}.png") for i in range(7)])
    assert response.status_code == 200
    assert "最多 6 张照片" in response.content.decode()
    assert not CareRecord.objects.exists()


def test_a_photo_is_served_to_readers_of_its_record_only(world, client):
    client.force_login(world.user("teacher"))
    _post(client, world.own_child, photos=[_png()])
    photo = CarePhoto.objects.get()
    response = client.get(f"/care/photos/{photo.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content)[:4] == b"\x89PNG"
    client.force_login(world.user("township_supervisor"))
    assert client.get(f"/care/photos/{photo.pk}/").status_code == 200
    client.force_login(world.user("stranger_teacher"))
    assert client.get(f"/care/photos/{photo.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/care/photos/{photo.pk}/").status_code == 302


def test_a_counseling_photo_is_hidden_like_its_record(world, client):
    client.force_login(world.user("teacher"))
    _post(client, world.own_child, kind="counseling", photos=[_png()])
    photo = CarePhoto.objects.get()
    client.force_login(world.user("township_supervisor"))
    assert client.get(f"/care/photos/{photo.pk}/").status_code == 404
    client.force_login(world.user("principal"))
    assert client.get(f"/care/photos/{photo.pk}/").status_code == 200
