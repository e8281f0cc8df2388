"""``python tests/batch_run.py ARGS...``: selfeval-xl's command line with a test's changes made in
every process of the batch. A spawned child imports this file again (as ``__mp_main__``) before it
runs, so what the module does at import holds there as well as in a forked child.

- SELFEVAL_TEST_FAULTS=KIND:TEXT,...: a file whose name contains TEXT makes its worker misbehave:
  hang (sleep an hour), crash (SIGSEGV), oom (ask for 4 GiB), bug (raise ZeroDivisionError).
- SELFEVAL_TEST_NO_UNIX=1: the calls Windows lacks are absent: the modules resource and fcntl,
  os.sync, os.fchmod, signal.SIGHUP.
"""

from __future__ import annotations

import os
import signal
import sys
import time

if os.environ.get("SELFEVAL_TEST_NO_UNIX"):
    sys.modules["resource"] = None  # type: ignore[assignment]  # import raises ImportError
    sys.modules["fcntl"] = None  # type: ignore[assignment]
    for name in ("sync", "fchmod"):
        if hasattr(os, name):
            delattr(os, name)
    if hasattr(signal, "SIGHUP"):
        delattr(signal, "SIGHUP")

from selfeval_xl.batch import worker as _batch

_FAULTS = [f.split(":", 1) for f in os.environ.get("SELFEVAL_TEST_FAULTS", "").split(",") if f]
_real_process_file = _batch.process_file


def _process_file(task, *args):  # type: ignore[no-untyped-def]
    name = os.path.basename(task.path)
    for kind, text in _FAULTS:
        if text in name:
            if kind == "hang":
                time.sleep(3600)
            if kind == "crash":
                os.kill(os.getpid(), signal.SIGSEGV)
            if kind == "oom":
                bytearray(4 << 30)
            if kind == "bug":
                raise ZeroDivisionError("a bug of ours")
    return _real_process_file(task, *args)


_batch.process_file = _process_file

if __name__ == "__main__":
    from selfeval_xl.cli.commands import run

    run()
