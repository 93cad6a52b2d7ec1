# CMake generated Testfile for 
# Source directory: /work/wt/config
# Build directory: /work/wt/config/build
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
subdirs("tests")
