"""What a caller may see: the jurisdiction and industry rules of DESIGN section 7 / DOMAIN 4.

- monitor (township safety office): a 9-digit division prefix;
- regulator: a prefix of at most 6 digits, optionally limited to families (gas authority:
  gas+shutoff; special equipment: elevator; fire brigade: fire; emergency management: all);
- enterprise: its own enterprise id; admin: everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.auth.tokens import Claims
from alerts.errors import Unauthorized
from schemas.families import Family


@dataclass(frozen=True)
class Scope:
    role: str
    division_prefix: str  # "" for admin and enterprise (they are filtered otherwise)
    families: tuple[Family, ...]  # empty: every family
    enterprise_id: str | None  # set for the enterprise role only
    subject: str
    raw: str

    @classmethod
    def of(cls, claims: Claims) -> Scope:
        role, scope = claims.role, claims.scope
        if role == "monitor" and not (scope.isdigit() and len(scope) == 9):
            raise Unauthorized("a monitor's scope is a 9-digit township code")
        if role == "regulator" and not (scope.isdigit() and 1 <= len(scope) <= 6):
            raise Unauthorized("a regulator's scope is a division prefix of at most 6 digits")
        if role == "enterprise" and not scope:
            raise Unauthorized("an enterprise token names its enterprise")
        return cls(
            role=role,
            division_prefix=scope if role in ("monitor", "regulator") else "",
            families=claims.families,
            enterprise_id=scope if role == "enterprise" else None,
            subject=claims.sub,
            raw=scope,
        )

    def sees(self, enterprise_id: str, division: str, family: str) -> bool:
        if self.enterprise_id is not None and enterprise_id != self.enterprise_id:
            return False
        if not division.startswith(self.division_prefix):
            return False
        return not self.families or family in self.families

    @property
    def family_names(self) -> tuple[str, ...]:
        return tuple(f.value for f in self.families)
