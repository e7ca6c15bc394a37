"""A batch stopped by Ctrl-C or SIGTERM: how far it got, on stderr and as the JSON summary on stdout."""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from policy_engine.cli.batch_cmds import _print_json, err


def remembering(hook: Any, last: list[Any]) -> Any:
    """The progress hook, keeping the latest progress in `last` as well."""
    def remember(progress: Any) -> None:
        last[:] = [progress]
        if hook is not None:
            hook(progress)

    return remember


def stopped(summary: dict[str, Any], last: list[Any], how: str, exit_code: int) -> NoReturn:
    """A run stopped by a signal: say so on stderr, print the summary as far as it got (its status
    `failed`, as in batch_runs, and the customers settled so far) and exit with `exit_code`."""
    message = f"{how}: run the same command again to resume"
    err.print(message, markup=False)
    if last:
        p = last[0]
        summary.update(customers=p.total, settled=p.done, evaluated_now=p.now_done,
                       quarantined_now=p.now_quarantined)  # fmt: skip
    _print_json({**summary, "status": "failed", "error": message, "exit_code": exit_code})
    raise typer.Exit(exit_code)
