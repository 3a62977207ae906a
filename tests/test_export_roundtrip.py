"""An unmasked export re-imports into the same school with zero rejects and zero changes."""

import datetime as dt

import pytest

from carenet.children.models import Child
from carenet.children.services import child_save, pairing_start
from carenet.exchange.export import register_children, register_rows, render_csv, render_xlsx

importer = pytest.importorskip(
    "carenet.exchange.importer", reason="the import engine (carenet.exchange.importer) is absent"
)

pytestmark = pytest.mark.django_db


def _full_file(world) -> None:
    """One child with every column filled, so the round trip covers them all."""
    child_save(
        actor=None,
        child=world.school_child,
        data=dict(
            ethnicity="回族",
            student_number="G340827201503040013",
            boarding=True,
            registered_residence="安徽省望江县华阳镇",
            residence_group="三组",
            health="chronic",
            disability="视力残疾三级",
            schooling="enrolled",
            immunization="complete",
            interests="画画",
            personality="内向",
            categories=",poor,potential,",
            notes="需要关注",
        ),
        family={
            "father": {
                "name": "李大",
                "phone": "13811112222",
                "work_province": "浙江省",
                "work_city": "杭州市",
                "employer": "某电子厂",
                "away_since": dt.date(2024, 2, 18),
            },
            "mother": {"name": "周某", "phone": "0556-1234567"},
            "guardian": {
                "name": "李奶奶",
                "kinship": "祖母",
                "age": 66,
                "health": "良好",
                "education": "primary",
                "occupation": "务农",
                "phone": "13700001111",
                "address": "红星村三组",
                "guardianship_quality": "fair",
            },
        },
    )
    pairing_start(
        child=world.school_child, kind="buddy", buddy_name="王小明", on=dt.date(2025, 9, 1)
    )


def _snapshot(school) -> list:
    return list(register_rows(register_children(school, Child.objects.all()), unmasked=True))


@pytest.mark.parametrize("render", ["xlsx", "csv"])
def test_an_unmasked_export_reimports_with_no_rejects_and_no_changes(world, render):
    _full_file(world)
    rows = _snapshot(world.school)
    if render == "xlsx":
        data, name = render_xlsx(rows, title="华阳小学"), "花名册.xlsx"
    else:
        data, name = render_csv(rows), "花名册.csv"
    preview = importer.import_preview(data=data, filename=name, school=world.school)
    rejected = [(r.row, [e.message for e in r.errors]) for r in preview.rejected_rows]
    assert rejected == []
    assert (preview.created, preview.updated) == (0, 0)
    assert preview.unchanged == Child.objects.filter(school=world.school).count() == 3
    importer.import_commit(preview=preview, school=world.school, actor=None)
    assert _snapshot(world.school) == rows
