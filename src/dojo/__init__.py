"""Serverless Dojo: a local AWS, graded notebooks and a leaderboard."""
