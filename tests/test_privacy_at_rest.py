"""The raw database file holds no ID number and no phone in plaintext (issue 6, Done when).

A real file-based SQLite database in a temporary CARENET_HOME (the pytest database is in
memory): migrate, create child files with known ID numbers and phones through the
services (history rows included), edit one, import a register with `carenet import
children` (the bulk write path), checkpoint the WAL, grep the bytes.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json, django
django.setup()
from django.db import connection
from carenet.children.models import Relation
from carenet.children.services import child_save, family_member_save
from tests.factories import world_build

world = world_build()
guardian = {"name": "王奶奶", "phone": "13987654321", "id_number": "340827195001011234"}
family_member_save(actor=None, child=world.own_child, relation=Relation.GUARDIAN, data=guardian)
child_save(actor=None, child=world.mentee,
           data={"notes": "复查", "student_number": "G" + world.mentee.id_number})
family_member_save(actor=None, child=world.mentee, relation=Relation.MOTHER,
                   data={"phone": "15955501234", "employer_phone": "057188886666"})
from carenet.cli import main
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx

imported = [an_id(), an_id()]
register = xlsx([["望江县华阳小学留守儿童花名册"], SIMPLE_HEADER,
                 simple_row(1, "陈一", imported[0], 父亲联系电话="15811112222"),
                 simple_row(2, "陈二", imported[1], 监护人联系电话="0556-7654321")])
path = __import__("pathlib").Path(__import__("os").environ["CARENET_HOME"]) / "register.xlsx"
path.write_bytes(register)
assert main(["import", "children", str(path), "--school", world.school.code]) == 0
path.unlink()
from carenet.children.models import Child
assert Child.objects.filter(name__in=["陈一", "陈二"]).count() == 2
with connection.cursor() as cursor:
    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
ids = [c.id_number for c in (world.own_child, world.mentee, world.school_child,
                             world.villager_elsewhere, world.outsider)]
print(json.dumps({"ids": ids + ["340827195001011234"] + imported,
                  "phones": ["13812345678", "13912345678", "13987654321", "15955501234",
                             "057188886666", "15811112222", "0556-7654321"]}))
"""


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_database_file_holds_no_id_number_or_phone(tmp_path):
    env = {
        **os.environ,
        "CARENET_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "carenet.settings",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    migrate = _run(["-m", "carenet.cli", "manage", "migrate", "--verbosity", "0"], env)
    assert migrate.returncode == 0, migrate.stderr
    made = _run(["-c", SCRIPT], env)
    assert made.returncode == 0, made.stderr
    known = json.loads(made.stdout.strip().splitlines()[-1])
    raw = b""
    for name in ("carenet.sqlite3", "carenet.sqlite3-wal"):
        path = tmp_path / name
        if path.exists():
            raw += path.read_bytes()
    assert len(raw) > 100_000  # the file really holds the data
    for value in known["ids"] + known["phones"]:
        # The whole value, and any long digit run of it (a 17-digit ID without its check
        # digit, a phone without its prefix), in ASCII and in UTF-16 (SQLite may use either).
        runs = {value, value[:17], value[-10:], value[3:]}
        for run in runs:
            for encoded in (run.encode("ascii"), run.encode("utf-16-le")):
                assert encoded not in raw, f"{run} found in the database file"
