"""The ``veil`` subcommands; each module has ``register(subparsers)``.

A command's ``register`` adds its parser and sets ``run=<function(args) -> exit code>``.
"""

from desktop.commands import verify

COMMANDS = [verify]
