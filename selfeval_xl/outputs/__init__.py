"""What one or many assessments are written as: the console text and JSON (``console``), results.json
read and validated (``results``), the scored copy, the Word 自评报告 (``word_report`` from a
sandboxed ``word_template``), the workbooks of the many (``workbook`` under ``summary`` and
``consolidation``)."""
