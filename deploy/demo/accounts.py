"""The demo's console accounts: a monitor per township, the county's regulators and one
enterprise. Passwords are generated once and kept under .stack/secrets, so every demo run can
print them (the database keeps only their hashes)."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.accounts.accounts import change_password, new_account
from alerts.accounts.passwords import verify
from deploy.stack.config import StackConfig
from storage.accounts import AccountRepository
from storage.datastore import Datastore


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str
    families: tuple[str, ...]
    name: str


ACCOUNTS = (
    DemoAccount("beishan", "monitor", "330106001", (), "北山街道安全办"),
    DemoAccount("xixi", "monitor", "330106002", (), "西溪街道安全办"),
    DemoAccount("county", "regulator", "330106", (), "西湖区应急管理局"),
    DemoAccount("county-gas", "regulator", "330106", ("gas", "shutoff"), "西湖区城镇燃气主管部门"),
    DemoAccount("e-chem", "enterprise", "E330106000001", (), "西湖精细化工有限公司"),
)


def ensure(cfg: StackConfig) -> list[tuple[DemoAccount, str]]:
    """Create the accounts that are missing; reset a password that no longer matches."""
    store = Datastore(cfg.database_url, max_size=1)
    out = []
    try:
        repository = AccountRepository(store)
        for account in ACCOUNTS:
            password = cfg.secret(f"demo-account-{account.username}")
            row = repository.get(account.username)
            if row is None:
                repository.add(
                    new_account(account.username, account.role, account.scope,
                                account.families, account.name, password)
                )
            elif not verify(row.password_hash, password) or not row.enabled:
                change_password(repository, account.username, password)
                repository.set_enabled(account.username, True)
            out.append((account, password))
    finally:
        store.close()
    return out
