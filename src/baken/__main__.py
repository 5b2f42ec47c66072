from baken.cli import app

app()
