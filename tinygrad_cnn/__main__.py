"""``python -m tinygrad_cnn``: the same command line as ``tinygrad-cnn``."""

import sys

from .cli import main

sys.exit(main())
