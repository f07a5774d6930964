"""The progress bar the file commands draw on stderr (tqdm)."""

import sys

from tqdm import tqdm


def progress(command, items: list, *, unit: str, enabled: bool) -> tqdm:
    # Django wraps stderr so that each write ends a line; tqdm redraws with \r, so it gets the raw stream.
    stream = getattr(command.stderr, "_out", sys.stderr)
    return tqdm(items, file=stream, unit=unit, disable=not enabled, dynamic_ncols=True)
