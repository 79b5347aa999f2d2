"""lacrime: crime forecasting and decision support over LAPD's public crime reports.

The package reads top-down as the data flows: load -> clean -> features -> models ->
evaluation -> registry. Pages and the CLI call these same functions.
"""

__version__ = "0.1.0"
