"""The command line: a stable contract for people, scripts and CI.

``root`` holds the top-level group and its error handling; each other module holds one family of
commands. Start-up stays fast because each command imports what it needs when it runs.
"""

from auditprep.cli.root import crash_log, main

__all__ = ["crash_log", "main"]

if __name__ == "__main__":  # pragma: no cover
    main()
