"""What the benchmark scripts share: writing their section of BENCHMARKS.md, and
describing the machine they ran on.

Every benchmark script owns the text between `<!-- NAME:begin -->` and
`<!-- NAME:end -->`; `write_section` replaces it, or appends the markers and the text
when the file does not have them yet. Nothing outside the markers is touched.
"""
from pathlib import Path


def write_section(path, name, text):
    """Puts `text` between the `name` markers of the file at `path`."""
    path = Path(path)
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in old and end in old and old.index(begin) < old.index(end):
        new = old[: old.index(begin)] + block + old[old.index(end) + len(end):]
    else:
        new = (old.rstrip("\n") + "\n\n" if old.strip() else "") + block + "\n"
    path.write_text(new, encoding="utf-8")


def cpu_model():
    """The CPU's model name from /proc/cpuinfo."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"
