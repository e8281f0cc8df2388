"""What every stage shares: the findings registry (``findings``), the standard's names of sheets and
cells (``names``), numbers as the rules round and show them, formulas as expression trees, text made
safe for what we write (``sanitize``), a 单位编码 in its normal form (``units``) and files read within
bounds (``inputs``). Imports nothing of the pipeline above it."""
