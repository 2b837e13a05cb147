from ioc_pipeline.cli import main

raise SystemExit(main())
