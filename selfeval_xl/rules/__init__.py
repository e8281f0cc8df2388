"""The bureau's rules as data: the rule file's schema (``schema``), the validated model and its
loading (``model``), the scoring methods' registry (``methods``), targets and deadlines as written
(``targets``, ``deadlines``), the rules over the total (``totals``) and the reference generated from
them (``reference``)."""
