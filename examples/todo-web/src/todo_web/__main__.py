"""``python -m todo_web`` runs the command line."""

from todo_web.cli import main

main()
