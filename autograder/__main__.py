"""`python -m autograder grade|check|release`."""
import sys

from autograder.cli import main

sys.exit(main())
