from engine.commands.cli import entry

entry()
