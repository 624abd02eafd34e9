import sys

from shared.load.cli import main

sys.exit(main())
