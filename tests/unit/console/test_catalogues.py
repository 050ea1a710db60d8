"""Every text the console shows comes from both catalogues, and none hides in a template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alerts.console import i18n

TEMPLATES = Path(i18n.__file__).parent / "templates"
STATIC = Path(i18n.__file__).parent / "static"
KEY = re.compile(r"""_\(\s*["']([a-z_.]+)["']""")
# Keys built from a value (`_("severity." ~ row.severity)`): each of these must exist in full.
DYNAMIC = {
    "severity.": ("red", "orange", "yellow", "blue"),
    "state.": ("open", "acknowledged", "dispatched", "resolved", "closed"),
    "escalation.": ("township", "county", "city"),
    "role.": ("enterprise", "monitor", "regulator", "admin"),
    "family.": ("gas", "shutoff", "elevator", "fire"),
    "action.": ("acknowledge", "dispatch", "resolve", "close", "supervise", "lift_supervision"),
    "cause.": ("real_leak", "false_alarm", "device_fault", "test", "maintenance"),
    "device.": ("online", "offline", "maintenance"),
    "deadline.": ("ack", "resolve"),
    "event.": ("AlarmRaised", "SeverityChanged", "ConditionCleared", "Acknowledged",
               "Dispatched", "Resolved", "Closed", "Escalated", "Supervised",
               "SupervisionLifted", "Suppressed", "CommandRejected"),
    "condition.": ("gas_level", "offline", "site_offline", "interlock_failure", "trapped",
                   "fire_alarm", "device_fault", "tamper_flatline", "valve_fault"),
}


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        found = KEY.findall(template.read_text(encoding="utf-8"))
        keys |= {k for k in found if not k.endswith(".")}  # a prefix: see DYNAMIC
    for prefix, values in DYNAMIC.items():
        keys |= {prefix + v for v in values}
    return keys


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_key_a_page_uses_is_in_the_catalogue(language: str) -> None:
    missing = sorted(_used_keys() - set(i18n.catalogue(language).messages))
    assert missing == []


def test_both_catalogues_hold_the_same_keys() -> None:
    zh, en = (set(i18n.catalogue(lang).messages) for lang in i18n.LANGUAGES)
    assert sorted(zh ^ en) == []


def test_no_template_holds_chinese_or_english_prose_of_its_own() -> None:
    # Text between tags that is not a placeholder, an expression or punctuation is prose.
    prose = re.compile(r">\s*([^<>{}\s][^<>{}]*?)\s*<")
    allowed = {"—", "·", "→", "(", ")", "UTC", ":", "%"}
    found = []
    for template in TEMPLATES.glob("*.html"):
        for text in prose.findall(template.read_text(encoding="utf-8")):
            if not set(text.split()) <= allowed and not text.startswith("{%"):
                found.append((template.name, text))
    assert found == []


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, None, "zh_CN"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "fr-FR,zh-CN;q=0.8", "zh_CN"),
        (None, "en", "zh-CN", "en"),
        ("zh-CN", "en", "en", "zh_CN"),
        ("xx", None, "en", "en"),
    ],
)
def test_the_language_is_the_one_asked_for_else_the_cookie_else_the_browser_else_chinese(
    query: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert i18n.choose(query, cookie, header) == expected


def test_the_page_scripts_read_their_labels_from_the_catalogue_not_from_literals() -> None:
    for script in STATIC.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"[\u4e00-\u9fff]", text), f"Chinese text in {script.name}"


def test_the_report_says_how_each_figure_is_computed_in_both_languages_as_its_csv_does() -> None:
    from storage.reports import HOW

    zh, en = i18n.catalogue("zh_CN").messages, i18n.catalogue("en").messages
    for figure, text in HOW.items():
        assert en[f"how.report.{figure}"] == text  # the CSV's words, on the English page
        assert zh[f"how.report.{figure}"] not in ("", text)
