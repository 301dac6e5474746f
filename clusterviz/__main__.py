from clusterviz.app import main
raise SystemExit(main())
