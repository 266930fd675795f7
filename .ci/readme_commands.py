"""Print the README's set-up command and test command, one a line, as written
in its "Set-up" section: .ci/run runs exactly these, so they cannot drift apart.
Standard library only: it runs before anything is installed."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def setup_commands():
    section = README.read_text().split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


if __name__ == "__main__":
    print("\n".join(setup_commands()))
