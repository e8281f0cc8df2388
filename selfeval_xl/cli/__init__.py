"""The command line: a thin layer over the library (``commands``), in Chinese (``texts``)."""

from selfeval_xl.cli.commands import reference, run

__all__ = ["reference", "run"]
