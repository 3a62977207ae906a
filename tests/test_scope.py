"""The one scoping function: each role sees exactly its children."""

import pytest

from carenet.children.access import Permission, visible_children

pytestmark = pytest.mark.django_db


def _names(user, action=Permission.VIEW_CHILDREN):
    return set(visible_children(user, action).values_list("name", flat=True))


def test_county_admin_sees_the_whole_county(world):
    assert _names(world.user("county_admin")) == {"王子涵", "曾小雨", "李明", "张伟", "赵强"}


def test_township_supervisor_sees_schools_and_villages_of_the_township(world):
    # 张伟 goes to school in the other township but lives in 红星村 of this one.
    assert _names(world.user("township_supervisor")) == {"王子涵", "曾小雨", "李明", "张伟"}


def test_village_director_sees_children_living_in_the_village_whatever_their_school(world):
    assert _names(world.user("village_director")) == {"王子涵", "曾小雨", "李明", "张伟"}


def test_principal_sees_only_their_school(world):
    assert _names(world.user("principal")) == {"王子涵", "曾小雨", "李明"}


def test_teacher_sees_own_class_and_mentees_outside_it(world):
    assert _names(world.user("teacher")) == {"王子涵", "曾小雨"}


def test_teacher_may_edit_own_class_but_not_a_mentee_elsewhere(world):
    assert _names(world.user("teacher"), Permission.EDIT_CHILDREN) == {"王子涵"}


def test_township_supervisor_sees_contacts_of_nobody(world):
    assert _names(world.user("township_supervisor"), Permission.SEE_CONTACTS) == set()


def test_user_without_membership_sees_nothing(world):
    assert _names(world.user("nobody")) == set()


def test_ended_pairing_no_longer_grants_access(world):
    world.mentee.pairings.update(ended_on="2026-01-01")
    assert _names(world.user("teacher")) == {"王子涵"}


def test_a_counselor_sees_their_school_but_edits_nothing(world):
    from carenet.orgs.models import Role
    from tests.factories import user_add

    counselor = user_add("counselor", Role.COUNSELOR, world.school)
    assert _names(counselor) == {"王子涵", "曾小雨", "李明"}
    assert _names(counselor, Permission.EDIT_CHILDREN) == set()
