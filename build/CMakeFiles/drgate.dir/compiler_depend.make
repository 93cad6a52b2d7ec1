# Empty compiler generated dependencies file for drgate.
# This may be replaced when dependencies are built.
