import sys

from shared.bench.cli import main

sys.exit(main())
