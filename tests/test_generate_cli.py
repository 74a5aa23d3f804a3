"""``convmath generate`` and ``convmath preview``, and the key notebooks run in a real kernel."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from convmath.cli import main as convmath_main
from exercises.cli import generate, preview
from exercises.families import families

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    roster = out / "roster.csv"
    roster.write_text("student_id,name\ns001,Li Wei\ns002,\n", encoding="utf-8")
    code = generate.main(
        [
            str(EXAMPLES / "assignment.toml"),
            "--roster",
            str(roster),
            "--secret-file",
            str(EXAMPLES / "secret.txt"),
            "--out",
            str(out / "out"),
            "--pdf",
            "never",
            "--quiet",
        ]
    )
    assert code == 0
    return out / "out"


def test_generate_writes_every_file(generated):
    for sid in ("s001", "s002"):
        for folder in ("students", "keys"):
            nbformat.validate(nbformat.read(generated / folder / f"{sid}.ipynb", as_version=4))
            for locale in ("en", "zh"):
                for suffix in (".md", ".tex"):
                    assert (
                        generated / ("sheets" if folder == "students" else "keys") / f"{sid}.{locale}{suffix}"
                    ).is_file()
    assert "Li Wei" in (generated / "students" / "s001.ipynb").read_text(encoding="utf-8")
    assert not list(generated.rglob("*.pdf"))


def test_generate_is_reproducible(generated, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("student_id,name\ns001,Li Wei\n", encoding="utf-8")
    assert (
        generate.main(
            [
                str(EXAMPLES / "assignment.toml"),
                "--roster",
                str(roster),
                "--secret-file",
                str(EXAMPLES / "secret.txt"),
                "--out",
                str(tmp_path),
                "--no-sheets",
                "--quiet",
            ]
        )
        == 0
    )
    for folder in ("students", "keys"):
        assert (tmp_path / folder / "s001.ipynb").read_bytes() == (generated / folder / "s001.ipynb").read_bytes()
    assert not (tmp_path / "sheets").exists()


def test_generate_in_parallel_matches_serial(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("student_id\n" + "".join(f"p{i:02d}\n" for i in range(10)), encoding="utf-8")
    args = [
        str(EXAMPLES / "assignment.toml"),
        "--roster",
        str(roster),
        "--secret-file",
        str(EXAMPLES / "secret.txt"),
        "--no-sheets",
        "--quiet",
    ]
    assert generate.main([*args, "--out", str(tmp_path / "a"), "--jobs", "1"]) == 0
    assert generate.main([*args, "--out", str(tmp_path / "b"), "--jobs", "2"]) == 0
    for i in range(10):
        name = f"keys/p{i:02d}.ipynb"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_generate_errors_exit_2(tmp_path, capsys):
    bad = tmp_path / "a.toml"
    bad.write_text('id = "w"\n[[slots]]\nid = "q1"\nfamily = "nope"\n', encoding="utf-8")
    code = convmath_main(
        [
            "generate",
            str(bad),
            "--roster",
            str(EXAMPLES / "roster.csv"),
            "--secret-file",
            str(EXAMPLES / "secret.txt"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "family='nope' is not a known family" in capsys.readouterr().err


def test_generate_pdf_always_needs_an_engine(tmp_path, capsys):
    if shutil.which("xelatex") or shutil.which("lualatex") or shutil.which("tectonic"):
        pytest.skip("a TeX engine is installed")
    code = convmath_main(
        [
            "generate",
            str(EXAMPLES / "assignment.toml"),
            "--roster",
            str(EXAMPLES / "roster.csv"),
            "--secret-file",
            str(EXAMPLES / "secret.txt"),
            "--out",
            str(tmp_path),
            "--pdf",
            "always",
        ]
    )
    assert code == 2
    assert "no TeX engine" in capsys.readouterr().err


def test_preview_list(capsys):
    assert preview.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(families())


@pytest.mark.parametrize("locale, heading", [("en", "## Solution"), ("zh", "## 解答")])
def test_preview_prints_variant_and_solution(capsys, locale, heading):
    assert preview.main(["cross_correlation_by_hand", "--seed", "3", "--difficulty", "3", "--locale", locale]) == 0
    out = capsys.readouterr().out
    assert heading in out and "kernel_flipped" in out and "Y = np.array(" in out


def test_preview_option_and_error(capsys):
    assert preview.main(["implement_function", "--option", "function=out_size"]) == 0
    assert "def out_size(n, k, p=0, s=1):" in capsys.readouterr().out
    assert convmath_main(["preview", "implement_function", "--option", "function=conv9d"]) == 2


@pytest.mark.slow
def test_key_notebooks_run_in_a_kernel(generated):
    from nbclient import NotebookClient

    for sid in ("s001", "s002"):
        notebook = nbformat.read(generated / "keys" / f"{sid}.ipynb", as_version=4)
        checks = []
        for cell in notebook.cells:
            meta = cell.metadata.get("convmath")
            if meta and meta["kind"] != "function":
                checks.append(f"assert {meta['name']} is not None, {meta['name']!r}")
        notebook.cells.append(nbformat.v4.new_code_cell("\n".join(checks)))
        NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
        errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors
