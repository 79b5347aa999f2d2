"""Reading one file of LAPD crime data: which source it is, then that source's reader.

A file is placed by the fields its header holds: the legacy crime data (`DR_NO`, `Crm Cd`, ...)
or NIBRS offenses (`caseno`, `uniquenibrno`, `nibr_code`, ...). One it cannot place is refused
in one line naming the file and the fields it lacks for the source it comes closest to.
"""

from pathlib import Path

from lacrime.data.sources import legacy, nibrs
from lacrime.data.sources.columns import Layout, Loaded
from lacrime.data.sources.formats import Opened, open_file

READERS = {legacy.LAYOUT.name: legacy.read, nibrs.LAYOUT.name: nibrs.read}
LAYOUTS: dict[str, Layout] = {legacy.LAYOUT.name: legacy.LAYOUT, nibrs.LAYOUT.name: nibrs.LAYOUT}


def read_reports(path: Path) -> Loaded:
    """Read one export of either source; LacrimeError naming the file, field and row if it is
    not one."""
    opened = open_file(Path(path))
    return READERS[source_of(opened).name](opened)


def source_of(opened: Opened) -> Layout:
    """The layout whose required fields the file has most of (the legacy one on a tie): a file
    that is neither is then refused for what it lacks of the nearer one."""
    present = {
        name: len(layout.required) - len(layout.missing(opened)) for name, layout in LAYOUTS.items()
    }
    best = max(LAYOUTS, key=lambda name: (present[name], name == legacy.LAYOUT.name))
    return LAYOUTS[best]
