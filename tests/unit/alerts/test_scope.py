from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from alerts.auth.scope import Scope
from alerts.auth.tokens import Claims
from alerts.errors import Unauthorized
from schemas.families import Family

TOWNSHIP = "330106001"
SITE = TOWNSHIP + "001"
NEIGHBOUR = "330106002001"
OTHER_COUNTY = "330107001001"
ALL_FAMILIES = tuple(Family)


def _scope(role: str, scope: str, families: tuple[Family, ...] = ()) -> Scope:
    exp = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    return Scope.of(
        Claims(sub=uuid4().hex[:8], role=role, scope=scope, families=families, exp=exp)  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_a_township_monitor_sees_its_township_and_nothing_next_door(family: Family) -> None:
    monitor = _scope("monitor", TOWNSHIP)
    enterprise = f"E{uuid4().hex[:8]}"
    assert monitor.sees(enterprise, SITE, family)
    assert not monitor.sees(enterprise, NEIGHBOUR, family)
    assert not monitor.sees(enterprise, OTHER_COUNTY, family)


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_a_county_regulator_of_all_families_sees_every_township_of_its_county(
    family: Family,
) -> None:
    regulator = _scope("regulator", "330106")
    assert regulator.sees("e", SITE, family)
    assert regulator.sees("e", NEIGHBOUR, family)
    assert not regulator.sees("e", OTHER_COUNTY, family)


@pytest.mark.parametrize(
    ("families", "seen"),
    [
        ((Family.GAS, Family.SHUTOFF), {Family.GAS, Family.SHUTOFF}),  # gas authority
        ((Family.ELEVATOR,), {Family.ELEVATOR}),  # special equipment
        ((Family.FIRE,), {Family.FIRE}),  # fire brigade
        ((), set(ALL_FAMILIES)),  # emergency management
    ],
)
def test_an_industry_regulator_sees_only_its_families(
    families: tuple[Family, ...], seen: set[Family]
) -> None:
    regulator = _scope("regulator", "330106", families)
    for family in ALL_FAMILIES:
        assert regulator.sees("e", SITE, family) is (family in seen)


def test_an_enterprise_sees_its_own_alarms_only() -> None:
    own = f"E{uuid4().hex[:8]}"
    enterprise = _scope("enterprise", own)
    assert enterprise.sees(own, SITE, Family.GAS)
    assert enterprise.sees(own, OTHER_COUNTY, Family.FIRE)
    assert not enterprise.sees(f"E{uuid4().hex[:8]}", SITE, Family.GAS)


def test_an_admin_sees_everything() -> None:
    admin = _scope("admin", "*")
    for division in (SITE, NEIGHBOUR, OTHER_COUNTY):
        for family in ALL_FAMILIES:
            assert admin.sees(f"E{uuid4().hex[:8]}", division, family)


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("monitor", "33010600"),
        ("monitor", "3301060011"),
        ("monitor", "33010600x"),
        ("regulator", "3301060"),
        ("regulator", ""),
        ("regulator", "33a1"),
        ("enterprise", ""),
    ],
)
def test_a_scope_that_does_not_fit_the_role_is_refused(role: str, scope: str) -> None:
    with pytest.raises(Unauthorized):
        _scope(role, scope)
