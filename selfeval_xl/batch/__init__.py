"""Many submissions: what is under the folder (``inventory``), what the batch may write and has
written (``output_folder``, ``manifest``), child processes and their limits (``children``), the run
itself (``run``: workers, pool, journal) and the checks across submissions (``across``)."""
