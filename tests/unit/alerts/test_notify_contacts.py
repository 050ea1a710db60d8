"""The contacts file: every error listed with its line, secrets never in an error or a repr,
and who hears of an alarm at each reminder round."""

from __future__ import annotations

import pytest

from alerts.notify.contacts import Directory
from alerts.notify.contacts_file import ContactsFileInvalid, parse
from alerts.routing import Audience, load_table

GOOD = """\
offices:
  - office: township
    division: "330106001"
    name: 西溪街道
    contacts:
      - {name: 值班群, channel: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K1"}
    escalation:
      - {name: 王科长, channel: sms, phone: "13800000001"}
      - name: 钉钉群
        channel: dingtalk
        url: "https://oapi.dingtalk.com/robot/send?access_token=T"
        secret: SECabc
  - office: gas_authority
    division: "330106"
    name: 西湖区燃气办
    contacts:
      - {name: 飞书群, channel: feishu, url: "https://open.feishu.cn/hook/H", secret: s3}
"""

BAD = """\
offices:
  - office: township
    division: "33010600"
    name: 西溪街道
    contacts:
      - {name: 值班群, channel: wecom}
      - {name: 短信, channel: sms, phone: "13800000001", colour: red}
  - office: tax_office
    division: "330106"
    name: 税务
  - office: township
    division: "330106002"
    name: 留下街道
    contacts:
      - name: 钉钉群
        channel: dingtalk
        url: "ftp://oapi.dingtalk.com/robot/send?access_token=TOPSECRET"
"""


def test_a_good_file_gives_each_office_its_contacts_and_escalation_path() -> None:
    parsed = parse(GOOD, load_table(), "contacts.yaml")
    directory = Directory(parsed.offices)
    township = Audience(kind="township", name="township", division_prefix="330106001")
    names = [[c.name for _, c in directory.recipients(township, r)] for r in range(4)]
    assert names == [
        ["值班群"],
        ["值班群", "王科长"],
        ["值班群", "王科长", "钉钉群"],
        ["值班群", "王科长", "钉钉群"],
    ]
    assert directory.township_name("330106001042") == "西溪街道"
    assert directory.township_name("330106009042") == "330106009"  # no office: its code
    contact_id, _ = directory.recipients(township, 1)[1]
    found = directory.contact(contact_id)
    assert found is not None and found.phone == "13800000001"


def test_a_bad_file_lists_every_error_with_its_line_and_no_secret() -> None:
    with pytest.raises(ContactsFileInvalid) as refused:
        parse(BAD, load_table(), "contacts.yaml")
    errors = refused.value.errors
    # Schema errors first: every one, each at its line.
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [
        (6, "offices.0.contacts.0"),
        (7, "offices.0.contacts.1.colour"),
        (17, "offices.2.contacts.0.url"),
    ]
    assert "needs url" in errors[0].reason
    assert all(str(e).startswith("contacts.yaml:") for e in errors)
    assert "TOPSECRET" not in str(refused.value)


def test_the_offices_a_routing_table_does_not_know_and_wrong_prefixes_are_refused() -> None:
    text = (
        BAD.replace("      - {name: 值班群, channel: wecom}\n", "")
        .replace(", colour: red", "")
        .replace("ftp://", "https://")
    )
    with pytest.raises(ContactsFileInvalid) as refused:
        parse(text, load_table(), "c.yaml")
    reasons = [(e.line, e.reason) for e in refused.value.errors]
    assert reasons[0] == (3, "a township office has a 9-digit division")
    assert reasons[1][0] == 7 and reasons[1][1].startswith("unknown office 'tax_office'")


def test_a_contact_twice_in_one_office_and_an_office_twice_are_refused() -> None:
    text = """\
offices:
  - office: county
    division: "330106"
    name: 西湖区应急局
    contacts: [{name: a, channel: log}]
    escalation: [{name: a, channel: log}]
  - office: county
    division: "330106"
    name: again
"""
    with pytest.raises(ContactsFileInvalid) as refused:
        parse(text, load_table())
    assert [e.line for e in refused.value.errors] == [6, 7]


def test_an_empty_file_has_no_offices_and_broken_yaml_names_its_line() -> None:
    assert parse("", load_table()).offices == ()
    with pytest.raises(ContactsFileInvalid) as refused:
        parse("offices:\n  - office: [\n", load_table())
    assert refused.value.errors[0].line >= 2


def test_the_example_contacts_file_is_valid() -> None:
    from pathlib import Path

    import alerts.notify
    from alerts.notify.contacts_file import load

    example = Path(alerts.notify.__file__).parent / "contacts.example.yaml"
    offices = load(example, load_table()).offices
    assert {o.office for o in offices} == {"township", "gas_authority", "county"}
