#!/usr/bin/env bash
# Every committed file the code generates, made again: the templates of the bundled rule sets, the
# samples and examples, the fuzz regression files and the generated docs. Run after a change to the
# template, the rules or the findings; the tests say which one is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m selfeval_xl template -o templates/申报表模板.xlsx
for set in four-part mof-project; do python -m selfeval_xl template --rules "$set" -o "templates/申报表模板-$set.xlsx"; done
python scripts/make_samples.py
python -m tests.fuzz.regressions
python scripts/make_docs.py
