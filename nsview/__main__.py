from nsview.launch import main

main()
