"""The `freesora` command's exit codes, in one place: `main` maps errors to them, `--help`
lists them (EXIT_CODES_HELP), the docs copy that list.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # the service, the network or the task failed, or the daily budget said no
EXIT_INVALID = 2  # cannot run as given: arguments, request, key, profile, setting, a package
EXIT_INTERRUPTED = 130  # Ctrl+C: a task already created goes on (`freesora wait` it later)

EXIT_CODES_HELP = (
    f"exit codes: {EXIT_OK} done; {EXIT_FAILED} the service, the network or the task failed, "
    "or the daily budget refused the create (one line on stderr says why and what to do); "
    f"{EXIT_INVALID} the command cannot run as "
    "given: an invalid argument or request, no key, an unknown profile, a bad setting, a missing "
    f"package (nothing was sent); {EXIT_INTERRUPTED} interrupted (a created task goes on: "
    "`freesora wait TASK_ID`)"
)
