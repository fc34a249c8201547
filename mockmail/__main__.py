"""``python -m mockmail``: the same as the ``mockmail`` command."""

from mockmail.cli import main

main()
