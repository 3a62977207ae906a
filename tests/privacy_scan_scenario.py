"""A county's day on a real data folder, for tests/test_privacy_scan.py: migrate, a web import
committed and one left waiting, a masked export into the data folder and a backup. Prints
the ID numbers and phones the database holds (as JSON), for the test to look for in every
file under CARENET_HOME.

Run in a process of its own: ``python -m tests.privacy_scan_scenario`` with CARENET_HOME set.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carenet.settings")


def _register(rows: list[tuple[str, str, str, str]]) -> bytes:
    lines = ["序号,姓名,性别,出生日期,身份证号,学籍号,年级,班级,父亲姓名,父亲联系电话"]
    for n, (name, birth, id_number, phone) in enumerate(rows, start=1):
        lines.append(f"{n},{name},男,{birth},{id_number},G{id_number},一年级,一(1)班,父{n},{phone}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def main() -> None:
    django.setup()
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from huey.contrib.djhuey import HUEY

    from carenet.children.models import Child, FamilyMember
    from carenet.cli import main as carenet
    from carenet.exchange.models import ImportBatch
    from carenet.lib.idcard import make_id_number
    from tests.factories import world_build

    home = Path(os.environ["CARENET_HOME"])
    call_command("migrate", verbosity=0)
    HUEY.immediate = True
    world = world_build()
    client = Client()
    client.force_login(world.user("principal"))

    committed = [
        (
            "刘一",
            "2016-05-06",
            make_id_number("340827", dt.date(2016, 5, 6), 901, "M"),
            "13800001111",
        ),
        (
            "陈二",
            "2016-07-08",
            make_id_number("340827", dt.date(2016, 7, 8), 903, "M"),
            "13800002222",
        ),
    ]
    waiting = [
        (
            "张三",
            "2016-09-10",
            make_id_number("340827", dt.date(2016, 9, 10), 905, "M"),
            "13800003333",
        ),
    ]
    upload = SimpleUploadedFile("花名册.csv", _register(committed), content_type="text/csv")
    client.post("/exchange/import/", {"school": world.school.pk, "file": upload})
    batch = ImportBatch.objects.latest("pk")
    client.post(f"/exchange/import/{batch.pk}/commit/")
    assert Child.objects.filter(name="刘一").exists(), "the web import did not commit"
    upload = SimpleUploadedFile("待导入.csv", _register(waiting), content_type="text/csv")
    client.post("/exchange/import/", {"school": world.school.pk, "file": upload})
    # A view of the file and of its edit page, as a principal would.
    child = Child.objects.get(name="刘一")
    client.get(f"/children/{child.pk}/")
    client.get(f"/children/{child.pk}/edit/")

    exports = home / "exports"
    exports.mkdir()
    code = world.school.code
    assert carenet(["export", "children", "--org", code, "-o", str(exports / "r.xlsx")]) == 0
    assert carenet(["export", "children", "--org", code, "-o", str(exports / "r.csv")]) == 0
    assert carenet(["backup", str(home / "backup.tar.gz")]) == 0

    secrets = {row[2] for row in committed + waiting} | {row[3] for row in committed + waiting}
    for child in Child.objects.all():
        secrets.add(child.id_number)
    for member in FamilyMember.objects.all():
        secrets.update(v for v in (member.id_number, member.phone) if v)
    json.dump(sorted(secrets), sys.stdout)


if __name__ == "__main__":
    main()
