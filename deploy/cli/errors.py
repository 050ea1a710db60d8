from __future__ import annotations


class CliError(Exception):
    """A failure the operator can act on: printed as one line, exit status `exit_code`."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
