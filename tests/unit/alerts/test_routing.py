from __future__ import annotations

from uuid import uuid4

import pytest

from alerts.routing import RoutingTableInvalid, audiences, escalation_audience, load_table

SITE = "330106001001"


def _names(family: str, industry: str) -> list[str]:
    return [a.name for a in audiences(load_table(), SITE, family, industry)]


def test_every_alarm_goes_to_the_township_of_the_site_first() -> None:
    first = audiences(load_table(), SITE, "fire", "other")[0]
    assert (first.kind, first.division_prefix) == ("township", "330106001")


@pytest.mark.parametrize(
    ("family", "industry", "regulators"),
    [
        ("gas", "catering", ["gas_authority"]),
        ("shutoff", "gas_supply", ["gas_authority"]),
        ("gas", "chemical", ["emergency_management"]),
        ("shutoff", "chemical", ["emergency_management"]),
        ("elevator", "residential", ["special_equipment"]),
        ("elevator", "chemical", ["emergency_management", "special_equipment"]),
        ("fire", "public_venue", ["fire_brigade"]),
        ("fire", "chemical", ["emergency_management", "fire_brigade"]),
        ("gas", "manufacturing", []),
    ],
)
def test_the_industry_regulators_follow_family_and_industry(
    family: str, industry: str, regulators: list[str]
) -> None:
    assert _names(family, industry) == ["township", *regulators]


def test_regulators_hear_of_alarms_at_county_level() -> None:
    for audience in audiences(load_table(), SITE, "gas", "catering")[1:]:
        assert audience.division_prefix == "330106"


def test_escalation_climbs_to_the_county_then_the_city() -> None:
    table = load_table()
    assert escalation_audience(table, SITE, "county").division_prefix == "330106"
    assert escalation_audience(table, SITE, "city").division_prefix == "3301"


def test_a_routing_table_can_add_an_authority_without_code() -> None:
    name = f"auth_{uuid4().hex[:8]}"
    table = load_table(
        f"authorities: {{{name}: {{families: [gas], industries: '*'}}}}\n"
        "levels: {township: 9, county: 6, city: 4}\n"
    )
    assert [a.name for a in audiences(table, SITE, "gas", "other")] == ["township", name]


@pytest.mark.parametrize(
    "text",
    [
        "authorities: {}\n",
        "authorities: {}\nlevels: {township: 9}\n",
        "authorities: {a: {families: [gas]}}\nlevels: {township: 9, county: 6, city: 4}\n",
        "::: not yaml",
    ],
)
def test_a_broken_routing_table_is_refused(text: str) -> None:
    with pytest.raises(RoutingTableInvalid):
        load_table(text)
