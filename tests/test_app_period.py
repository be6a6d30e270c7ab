"""The app's period choice (issue 11 §4): an uploaded pack is checked by the engine as `ennuste period
check` checks it, its problems listed one a line; a share link names the pack by its content hash."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import engine
from engine.commands.period import write_template
from engine.load.period import bundled_dir
from ui import period

from .test_app import run_app

APRIL = Path(__file__).parent / "fixtures" / "period_lahti_2022_04"


@dataclass
class FakeUpload:  # what st.file_uploader hands the page: a name and the bytes
    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def uploads_of(folder: Path) -> list[FakeUpload]:
    return [FakeUpload(p.name, p.read_bytes()) for p in sorted(folder.glob("*.csv"))]


def test_the_template_workbook_uploaded_is_the_bundled_period(tmp_path):
    """The template holds the Lahti example: the same figures, so the same key (content hash) as the
    bundled pack, whether uploaded as the workbook or as the bundled CSV files."""
    xlsx = write_template(tmp_path / "kausi.xlsx")
    b, problems = period.load_upload([FakeUpload("kausi.xlsx", xlsx.read_bytes())])
    assert problems == [] and b is not None
    bundled = engine.load_baseline()
    assert period.key_of(b) == period.key_of(bundled)
    b2, problems2 = period.load_upload(uploads_of(bundled_dir()))
    assert problems2 == [] and period.key_of(b2) == period.key_of(bundled)
    assert period.label(bundled, "fi").startswith("Lahti 1–6/2022")


def test_an_april_pack_uploaded_follows_its_as_of_month():
    """The April fixture (tests/fixtures/period_lahti_2022_04, a made-up fixture, not published data)."""
    b, problems = period.load_upload(uploads_of(APRIL))
    assert problems == [] and str(b.as_of) == "2022-04"
    assert period.label(b, "fi").startswith("Lahti 1–4/2022")
    assert period.key_of(b) != period.key_of(engine.load_baseline())
    assert "as of 2022-04" in period.header(b)


def test_a_broken_pack_lists_each_problem_with_its_sheet_row_and_column():
    files = uploads_of(bundled_dir())
    ledger = next(f for f in files if f.name == "ledger.csv")
    lines = ledger.data.decode("utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("budget")
    row = lines[1].split(",")
    row[col] = "paljon"  # text in a number cell
    lines[1] = ",".join(row)
    ledger.data = ("\n".join(lines) + "\n").encode("utf-8")
    b, problems = period.load_upload(files)
    assert b is None and problems
    hit = [p for p in problems if "ledger" in p and "budget" in p and "paljon" in p]
    assert hit and "row 2" in hit[0], problems


@pytest.mark.parametrize("files, says", [
    ([FakeUpload("a.xlsx", b"x"), FakeUpload("meta.csv", b"x")], "not both"),
    ([FakeUpload("meta.csv", b"x"), FakeUpload("meta.csv", b"y")], "share a name"),
    ([FakeUpload("kausi.xlsx", b"not a zip")], "not an Excel workbook"),
])
def test_uploads_that_are_not_a_pack_are_refused_in_one_line(files, says):
    b, problems = period.load_upload(files)
    assert b is None and len(problems) == 1 and says in problems[0], problems


def test_a_share_link_to_a_pack_this_server_has_not_seen_falls_back_to_the_bundled_period():
    at = run_app({"period": "0123456789ab"})
    assert at.session_state["period"] == period.BUNDLED
    assert any("0123456789ab" in e.value and "upload its pack again" in e.value for e in at.error)
    assert "period" not in at.query_params  # the page's own link now names no pack
