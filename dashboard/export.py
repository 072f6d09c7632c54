"""Downloads: tables written by the library's export code, zipped with their manifest.

Every download is what ``riskgraph analyse --out DIR`` (or ``whatif`` / Monte Carlo) would
write: :func:`riskgraph.io.export.write_outputs` writes the formula-safe CSV files and
``manifest.json`` into a private temporary folder, and that folder is zipped. So a
downloaded CSV is byte for byte the CLI's, and the manifest records the package's input
hashes and the parameters.

For spreadsheet users each table is also offered on its own (:func:`spreadsheet_csv`: a
UTF-8 byte-order mark, names beside ids, numbers rounded to :data:`DECIMALS` places) and
as an ``.xlsx`` workbook (:func:`workbook`, XlsxWriter). These are separate downloads;
the zips above stay the CLI's bytes.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from riskgraph.io.export import MANIFEST_NAME, write_outputs

__all__ = ["DECIMALS", "for_spreadsheet", "send_tables", "spreadsheet_csv", "workbook",
           "zip_outputs"]


def zip_outputs(tables: dict, *, command: str, package, parameters: dict | None = None,
                seed: int | None = None) -> bytes:
    """A zip of ``tables`` as CSV files plus ``manifest.json``, via the export code."""
    with tempfile.TemporaryDirectory(prefix="riskgraph-download-") as tmp:
        out = write_outputs(Path(tmp) / "out", tables, command=command, package=package,
                            parameters=parameters, seed=seed)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in [*sorted(tables), MANIFEST_NAME]:
                zf.write(out / name, arcname=name)
        return buf.getvalue()


# --------------------------------------------------------------------- for spreadsheets
#: Digits after the decimal point in spreadsheet downloads (README "Dashboard downloads"):
#: 0.0001 is a hundredth of a percent of supply and a tenth of a thousandth of a day.
DECIMALS = 4
#: Columns holding untyped ids, and the package table that names them.
_ID_TABLES = {"nation_id": "nations", "owner_nation_id": "nations", "supplier_id": "suppliers",
              "component_id": "components", "platform_id": "components",
              "parent_id": "components", "child_id": "components"}


def _names_for(network, column: str, values: pd.Series) -> pd.Series | None:
    """Names for a column of ids (typed ``kind:id`` or an untyped ``*_id``), or None."""
    table = "nations" if column.endswith("nation_id") else _ID_TABLES.get(column)
    if table is not None:
        names = getattr(network.package, table)["name"]
        return values.map(names)
    text = values.dropna()
    if len(text) and text.map(lambda v: isinstance(v, str) and ":" in v).all():
        found = values.map(network.nodes["name"])
        return found if found.notna().any() else None
    return None


def for_spreadsheet(df: pd.DataFrame, network) -> pd.DataFrame:
    """``df`` as a planner opens it in a spreadsheet: its index as a column, a name column
    beside every id column (``nation_id`` → ``nation_id_name``), floats rounded to
    :data:`DECIMALS` places and text made formula-safe (as in the CLI's CSV files)."""
    from riskgraph.io.formulas import neutralize_formulas

    out = df.reset_index() if df.index.name or isinstance(df.index, pd.MultiIndex) else \
        df.reset_index(drop=True)
    columns = {}
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_float_dtype(values):
            values = values.round(DECIMALS)
        columns[col] = values
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)) \
                and f"{col}_name" not in out.columns and not str(col).endswith("name"):
            names = _names_for(network, str(col), values)
            # not when the table's own "name" column already names these ids
            named = "name" in out.columns and names is not None and \
                names.astype(object).equals(out["name"].astype(object))
            if names is not None and not named:
                columns[f"{col}_name"] = names
    return neutralize_formulas(pd.DataFrame(columns))


def spreadsheet_csv(df: pd.DataFrame, network) -> bytes:
    """One table as CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel on
    Windows reads "Türkiye" right), names beside ids, rounded, formula-safe."""
    from riskgraph.io.formulas import to_csv_bytes

    return "\ufeff".encode("utf-8") + to_csv_bytes(for_spreadsheet(df, network))


def workbook(tables: dict[str, pd.DataFrame], network, *, note: str = "") -> bytes:
    """Tables as one ``.xlsx`` workbook (a sheet each, names beside ids, rounded), with a
    first sheet saying what it is: package, files' sha256, precision, ``note``."""
    buf = io.BytesIO()
    # strings_to_formulas/urls off: a name starting with "=" stays text, never a formula
    options = {"strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False}
    about = [("what", note or "riskgraph dashboard download"),
             ("numbers", f"rounded to {DECIMALS} decimal places; fractions are 0-1 "
                         "(1 = all supply)")]
    about += [(f"sha256 {name}", digest)
              for name, digest in sorted(network.package.sha256.items())]
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": options}) as xw:
        pd.DataFrame(about, columns=["about", "value"]).to_excel(xw, sheet_name="about",
                                                                 index=False)
        for name, df in tables.items():
            sheet = name.removesuffix(".csv")[:31]
            for_spreadsheet(df, network).to_excel(xw, sheet_name=sheet, index=False)
            xw.sheets[sheet].freeze_panes(1, 0)
    return buf.getvalue()


def send_tables(tables: dict[str, pd.DataFrame], network, fmt: str, stem: str, *,
                note: str = "") -> dict:
    """A dcc.Download payload: the first table as a spreadsheet CSV (``fmt="csv"``) or
    every table as one workbook (``fmt="xlsx"``)."""
    from dash import dcc

    if fmt == "csv":
        name, df = next(iter(tables.items()))
        return dcc.send_bytes(spreadsheet_csv(df, network), f"{stem}.csv")
    return dcc.send_bytes(workbook(tables, network, note=note), f"{stem}.xlsx")
