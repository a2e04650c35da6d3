"""Published benchmark files: every one still reads, and a header that announces less data
than the file holds is refused (tokens left over would otherwise be dropped silently)."""

from __future__ import annotations

import logging

import pytest

import cbecopt
from cbecopt.instance import read_raw

pytestmark = pytest.mark.integration


def test_every_published_cflp_file_still_reads(benchmarks, caplog):
    # reading is what changed; test_orlib and test_holmberg load and solve them
    files = [p for p in sorted((benchmarks / "orlib_cap").glob("cap*.txt")) if p.stem != "capopt"]
    for path in files:
        template = path.stem in ("capa", "capb", "capc")
        read_raw(path, "orlib-cap", capacity=8000 if template else None)
    holmberg = sorted((benchmarks / "holmberg_sscflp").glob("p*"))
    with caplog.at_level(logging.WARNING, logger="cbecopt"):
        for path in holmberg:
            read_raw(path, "holmberg")
    assert len(files) == 40 and len(holmberg) == 71
    assert "p47: ignoring 17 tokens after the NUL bytes" in caplog.text


def test_a_header_one_customer_short_is_an_error(benchmarks, tmp_path):
    text = (benchmarks / "orlib_cap" / "cap41.txt").read_text()
    m, n = text.split()[:2]
    path = tmp_path / "cap41.txt"
    path.write_text(text.replace(f"{m} {n}", f"{m} {int(n) - 1}", 1))
    [problem] = load_problems_of(path, "orlib-cap")
    assert "17 tokens after the data its header announces" in problem  # m = 16: 1 + 16
    assert "1 more customer(s)" in problem


def test_a_holmberg_header_one_facility_short_is_an_error(benchmarks, tmp_path):
    data = (benchmarks / "holmberg_sscflp" / "p1").read_bytes()
    path = tmp_path / "p1"
    path.write_bytes(data.replace(b"10 50", b"9 50", 1))
    # 9 facilities read: one facility's capacity, fixed cost and 50 costs are left over
    assert any("more facility" in p for p in load_problems_of(path, "holmberg"))


def test_a_whole_customer_after_the_nul_padding_is_an_error(benchmarks, tmp_path):
    data = (benchmarks / "holmberg_sscflp" / "p2").read_bytes()  # ends in NUL padding
    path = tmp_path / "p2"
    path.write_bytes(data + b" 10." + b" 5." * 10 + b"\n")  # m = 10: a demand and 10 costs
    assert any("after the NUL bytes" in p for p in load_problems_of(path, "holmberg"))


def load_problems_of(path, fmt) -> list[str]:
    with pytest.raises(cbecopt.InputError) as caught:
        cbecopt.load_instance(path, fmt=fmt)
    return [str(p) for p in caught.value.problems]
