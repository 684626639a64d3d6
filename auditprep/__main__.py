from auditprep.cli import main

main()
