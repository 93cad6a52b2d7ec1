# Empty compiler generated dependencies file for drgate_testsupport.
# This may be replaced when dependencies are built.
