"""The retention schedule: archive who left or turned 16, anonymise after the period."""

import datetime as dt

import pytest
from django.core.management import call_command

from carenet.care.models import CareRecord
from carenet.care.services import record_create
from carenet.children.access import visible_children
from carenet.children.models import Child, ChildStatus, FamilyMember
from carenet.ops.retention import ANONYMOUS_NAME, retention_run
from tests.factories import child_add

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


def test_children_who_left_or_turned_16_are_archived_once(world):
    left = world.school_child
    left.status = ChildStatus.LEFT
    left.save()
    old = child_add(world.class_1, name="大龄", birth=dt.date(2010, 5, 1))
    first = retention_run(today=TODAY)
    assert first.archived == 2 and first.anonymised == 0
    for child in (left, old):
        child.refresh_from_db()
        assert child.status == ChildStatus.ARCHIVED and child.archived_on == TODAY
        assert not visible_children(world.user("principal")).filter(pk=child.pk).exists()
    assert Child.objects.get(pk=world.own_child.pk).status == ChildStatus.ACTIVE
    second = retention_run(today=TODAY)
    assert (second.archived, second.anonymised) == (0, 0)


def test_dry_run_changes_nothing(world):
    world.school_child.status = ChildStatus.LEFT
    world.school_child.save()
    result = retention_run(today=TODAY, dry_run=True)
    assert result.archived == 1 and result.dry_run
    world.school_child.refresh_from_db()
    assert world.school_child.status == ChildStatus.LEFT


def test_archived_files_past_the_period_are_anonymised_with_their_history(world, settings):
    settings.CARENET_RETENTION_YEARS = 3
    child = world.own_child
    record_create(
        actor=world.user("teacher"),
        child=child,
        kind="talk",
        date=dt.date(2025, 3, 1),
        summary="谈心：想念妈妈",
    )
    Child.objects.filter(pk=child.pk).update(
        status=ChildStatus.ARCHIVED, archived_on=dt.date(2023, 5, 1)
    )
    recent = world.school_child
    Child.objects.filter(pk=recent.pk).update(
        status=ChildStatus.ARCHIVED, archived_on=dt.date(2024, 1, 1)
    )
    assert Child.history.filter(id=child.pk).exists()
    assert FamilyMember.history.filter(child_id=child.pk).exists()
    first = retention_run(today=TODAY)
    assert first.anonymised == 1
    child = Child.objects.get(pk=child.pk)
    assert child.name == ANONYMOUS_NAME and child.id_number == "" and child.notes == ""
    assert child.id_number_hash.startswith("anon-")
    assert child.birth_date == dt.date(2015, 1, 1) and child.school == world.school
    assert not FamilyMember.objects.filter(child=child).exists()
    assert not Child.history.filter(id=child.pk).exists()
    assert not FamilyMember.history.filter(child_id=child.pk).exists()
    record = CareRecord.objects.get(child=child)
    assert record.summary == "" and record.kind == "talk"  # counts stay
    assert child.away_periods.count() == 2
    assert Child.objects.get(pk=recent.pk).name == "李明"  # not yet due
    second = retention_run(today=TODAY)
    assert second.anonymised == 0
    assert Child.objects.get(pk=child.pk).id_number_hash == child.id_number_hash


def test_two_anonymised_files_keep_unique_blind_indexes(world):
    for child in (world.own_child, world.mentee):
        Child.objects.filter(pk=child.pk).update(
            status=ChildStatus.ARCHIVED, archived_on=dt.date(2020, 1, 1)
        )
    assert retention_run(today=TODAY).anonymised == 2


def test_the_command(world, capsys):
    world.school_child.status = ChildStatus.LEFT
    world.school_child.save()
    call_command("retention", "--today", "2026-06-01", "--dry-run")
    assert "1 child file(s) would be archived" in capsys.readouterr().out
    call_command("retention", "--today", "2026-06-01")
    assert "1 child file(s) were archived" in capsys.readouterr().out
    call_command("retention", "--today", "2026-06-01")
    assert "0 child file(s) were archived" in capsys.readouterr().out


def test_anonymisation_clears_legal_aid_texts_and_their_history(world, settings):
    from carenet.support.models import LegalAidCase
    from carenet.support.services import legal_aid_case_create

    settings.CARENET_RETENTION_YEARS = 3
    child = world.own_child
    case = legal_aid_case_create(
        actor=world.user("principal"),
        child=child,
        opened_on=dt.date(2022, 9, 1),
        matter="抚养费纠纷：父亲拒付",
        aided=True,
        aided_on=dt.date(2022, 10, 1),
    )
    assert LegalAidCase.history.filter(child_id=child.pk).exists()
    Child.objects.filter(pk=child.pk).update(
        status=ChildStatus.ARCHIVED, archived_on=dt.date(2023, 5, 1)
    )
    assert retention_run(today=TODAY).anonymised == 1
    case.refresh_from_db()
    assert case.matter == "" and case.aided  # the text goes, the count stays
    assert not LegalAidCase.history.filter(child_id=child.pk).exists()
