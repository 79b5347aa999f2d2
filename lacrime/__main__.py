from lacrime.cli import main

raise SystemExit(main())
