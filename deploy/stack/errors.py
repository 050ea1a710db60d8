from __future__ import annotations

from deploy.cli.errors import CliError


class StackError(CliError):
    """The stack could not be brought to the asked state; the message says what to do."""


class PortInUse(StackError):
    def __init__(self, service: str, port: int) -> None:
        super().__init__(
            f"{service}: port 127.0.0.1:{port} is already in use by another process; "
            f"stop it or choose another port (see README, HW_* variables)"
        )


class MissingPackages(StackError):
    def __init__(self, packages: list[str]) -> None:
        super().__init__(
            f"missing Debian packages: {' '.join(packages)}; run as root to install them "
            f"automatically, or: apt-get install {' '.join(packages)}",
            exit_code=3,
        )
