from tgbridge.cli import main

raise SystemExit(main())
