"""``python -m dojo.leaderboard``: the same commands as ``dojo leaderboard``."""

from dojo.leaderboard.cli import leaderboard

if __name__ == "__main__":
    leaderboard(prog_name="dojo leaderboard")
