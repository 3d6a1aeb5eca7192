from lifeboat_cli.main import main

main()
