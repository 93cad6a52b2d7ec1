# Empty compiler generated dependencies file for drgate_config.
# This may be replaced when dependencies are built.
