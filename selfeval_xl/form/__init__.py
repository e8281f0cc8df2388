"""What a department fills: the template's layout (``layout``), its 填报自查 self-checks (``checks``),
the 填报说明 and prompts (``instructions``) and the workbook written from the rules (``template``)."""
