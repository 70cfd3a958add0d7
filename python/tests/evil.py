"""A module no test scheduler allows by default: importing it, or running its function, leaves a mark
(the file named by $CASYNCZ_EVIL_MARK), which the allow-list test checks never appears."""

import os
import pathlib

pathlib.Path(os.environ["CASYNCZ_EVIL_MARK"] + ".imported").touch()


def run() -> None:
    pathlib.Path(os.environ["CASYNCZ_EVIL_MARK"] + ".ran").touch()
