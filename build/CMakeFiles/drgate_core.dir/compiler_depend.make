# Empty compiler generated dependencies file for drgate_core.
# This may be replaced when dependencies are built.
