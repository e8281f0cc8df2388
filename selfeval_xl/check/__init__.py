"""One submission: ``intake`` (a file received or refused), ``read`` (a workbook into a typed
submission), ``validate`` (structure, fields, budget, indicators: findings and the lines to score),
``score`` (核定得分, categories, total, grade), ``assess`` (the whole, never raising for a bad file),
and ``examples`` (a rule file's own examples checked by assessing them)."""
