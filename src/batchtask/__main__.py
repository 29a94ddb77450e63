"""``python -m batchtask`` runs the same CLI as the ``batchtask`` script."""

from batchtask.cli.main import main

raise SystemExit(main())
