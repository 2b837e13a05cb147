"""`python -m ioc_simulator`: serve the simulated province in the foreground (`--help` lists the options)."""

from ioc_simulator.cli import main

raise SystemExit(main())
