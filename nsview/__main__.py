from nsview.cli import main

main()
