"""A result workbook made for people: bold, frozen header rows, number formats and column widths
on every sheet, and on ``summary`` a bar chart of the cost split when the result has a
``cost_breakdown`` table (``component``, ``cost``), as the ``routing`` and ``network`` plans do.

Only how cells look changes: every value stays what pandas wrote, so reading the workbook
back gives the same tables.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

AMOUNT = "#,##0.00"
"""Numbers with decimals: costs, quantities, prices."""
COUNT = "#,##0"
"""Whole numbers."""
SHARE = "0.00%"
"""Columns whose name says they hold a share or a rate (0.25 shows as 25.00%)."""
SHARE_WORDS = ("share", "rate", "utilisation", "utilization", "gap")
WIDEST = 60
"""Characters: no column is made wider than this."""
CHART_ANCHOR = "D2"


def style_workbook(book: Workbook, tables: dict[str, pd.DataFrame], summary: pd.DataFrame) -> None:
    """Style the ``summary`` sheet and one sheet per table (named as :meth:`Result.to_workbook`
    names them), and chart the cost split on ``summary``."""
    _style_sheet(book["summary"], summary)
    for name, table in tables.items():
        _style_sheet(book[name[:31]], table)
    if "cost_breakdown" in tables and len(tables["cost_breakdown"]):
        _cost_chart(book["summary"], book["cost_breakdown"], len(tables["cost_breakdown"]))


def _style_sheet(sheet: Worksheet, table: pd.DataFrame) -> None:
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for position, column in enumerate(table.columns, start=1):
        letter = get_column_letter(position)
        number_format = _format(str(column), table[column])
        if number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = _width(str(column), table[column])


def _format(name: str, values: pd.Series) -> str | None:
    """The number format of a column: shares and rates by name, whole or decimal numbers by
    type; ``None`` (Excel's General) for text, booleans and mixed columns such as
    ``summary``'s ``value``."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return None
    if any(word in name.lower() for word in SHARE_WORDS):
        return SHARE
    return COUNT if pd.api.types.is_integer_dtype(values) else AMOUNT


def _width(name: str, values: pd.Series) -> float:
    """Wide enough for the header and the longest value as shown (numbers with separators)."""
    shown = [f"{v:,.2f}" if isinstance(v, float) else str(v) for v in values.head(1000)]
    longest = max([len(name), *map(len, shown)])
    return min(longest + 2, WIDEST)


def _cost_chart(summary: Worksheet, breakdown: Worksheet, rows: int) -> None:
    """A horizontal bar per cost component, from the ``cost_breakdown`` sheet's two columns."""
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Cost split"
    chart.legend = None
    chart.y_axis.title = "cost"
    chart.y_axis.numFmt = COUNT
    data = Reference(breakdown, min_col=2, min_row=1, max_row=rows + 1)
    labels = Reference(breakdown, min_col=1, min_row=2, max_row=rows + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    chart.width, chart.height = 18, max(6, 0.8 * rows)
    summary.add_chart(chart, CHART_ANCHOR)
