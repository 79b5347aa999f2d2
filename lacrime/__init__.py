"""lacrime: crime forecasting and decision support over LAPD's public crime reports.

The package reads as the data flows, one subpackage per stage:

- `data`: LAPD exports read, cleaned (with a report of what was removed and why), the
  exclusion list, and the dataset on disk;
- `hourly` and `hotspots`: what to expect when, and where; in each, `forecast` and
  `evaluation` are peers over the models, and the evaluation trains through the forecast's
  own function;
- `ops`: the model registry, training, background jobs and the administrator's actions;
- `app`: what the dashboard's pages call; `cli`: the `lacrime` command.
"""

__version__ = "0.1.0"
