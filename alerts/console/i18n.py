"""Translation catalogues (gettext .po files read with Babel) and the choice of language.

Templates never hold text of their own: they ask for a key (`_("board.title")`) and the
catalogue of the person's language answers. Simplified Chinese is the default; English is one
click away (`?lang=en`, kept in a cookie) and follows `Accept-Language`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

LANGUAGES = ("zh_CN", "en")
DEFAULT = "zh_CN"
COOKIE = "hw_lang"
_HERE = Path(__file__).parent / "translations"


@dataclass(frozen=True)
class Catalogue:
    language: str
    messages: dict[str, str]

    def gettext(self, key: str, **values: object) -> str:
        text = self.messages.get(key) or key  # a missing key shows itself, and a test finds it
        return text.format(**values) if values else text

    @property
    def html_lang(self) -> str:
        return self.language.replace("_", "-")


@cache
def catalogue(language: str) -> Catalogue:
    with (_HERE / language / "LC_MESSAGES" / "console.po").open("rb") as handle:
        parsed = read_po(handle)
    messages = {
        str(m.id): str(m.string) for m in parsed if isinstance(m.id, str) and m.id and m.string
    }
    return Catalogue(language, messages)


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for asked in (query, cookie):
        if asked:
            normal = _normal(asked)
            if normal:
                return normal
    if accept_language:
        parts = accept_language.split(",")
        wanted = [part.split(";")[0].strip().replace("-", "_") for part in parts]
        found = Locale.negotiate([w for w in wanted if w], list(LANGUAGES), sep="_")
        if found is not None:
            return _normal(str(found)) or DEFAULT
    return DEFAULT


def _normal(language: str) -> str | None:
    lowered = language.replace("-", "_").lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("en"):
        return "en"
    return None
