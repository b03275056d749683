"""Run the vault's operator commands: ``python -m ordergate.gateway.vault --help``."""

import sys

from ordergate.gateway.vault.admin import main

sys.exit(main())
