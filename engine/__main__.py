from engine.commands.cli import main

raise SystemExit(main())
