"""``python -m desktop`` and the PyInstaller bundle's entry point."""

import sys

from desktop.main import main

if __name__ == "__main__":
    sys.exit(main())
