"""shared.report: the runners' printing helpers and output folder."""
import torch

from shared import report


def test_table_aligns_columns_under_a_rule(capsys):
    report.table(["name", "value"], [["a", 1], ["longer", 2.5]])
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["  name    value", "  ------  -----", "  a       1", "  longer  2.5"]


def test_section_header_has_a_fixed_width(capsys):
    report.section("Exercise 1")
    out = capsys.readouterr().out
    assert out.startswith("\n=== Exercise 1 ") and len(out.strip("\n")) == report.WIDTH


def test_max_diff_is_computed_in_float64():
    a = torch.tensor([1.0, 2.0], dtype=torch.float32)
    assert report.max_diff(a, torch.tensor([1.0, 2.5], dtype=torch.float64)) == "5.0e-01"


def test_output_dir_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_OUTPUT_DIR", str(tmp_path / "elsewhere"))
    assert report.output_dir(tmp_path / "lab") == tmp_path / "elsewhere"
    assert (tmp_path / "elsewhere").is_dir()
    monkeypatch.delenv("LAB_OUTPUT_DIR")
    assert report.output_dir(tmp_path / "lab") == tmp_path / "lab" / "outputs"


def test_spread_gives_mean_sample_sd_and_range():
    assert report.spread([1.0, 2.0, 3.0, 4.0, 5.0], fmt=".2f") == "3.00 ± 1.58 (1.00–5.00, n=5)"
    assert report.spread([0.5], fmt=".1f", unit=" %") == "0.5 % ± 0.0 % (0.5–0.5 %, n=1)"


def test_runner_parser_has_full_and_seeds():
    args = report.runner_parser("x").parse_args(["--full", "--seeds", "7"])
    assert args.full and args.seeds == 7
    assert report.runner_parser("x").parse_args([]).seeds == 5
