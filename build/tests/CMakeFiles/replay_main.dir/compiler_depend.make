# Empty compiler generated dependencies file for replay_main.
# This may be replaced when dependencies are built.
