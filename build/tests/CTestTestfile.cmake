# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[unit_test_core]=] "/work/main/build/tests/test_core")
set_tests_properties([=[unit_test_core]=] PROPERTIES  LABELS "unit" TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;22;add_test;/work/main/tests/CMakeLists.txt;28;drgate_unit_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[unit_test_plan]=] "/work/main/build/tests/test_plan")
set_tests_properties([=[unit_test_plan]=] PROPERTIES  LABELS "unit" TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;22;add_test;/work/main/tests/CMakeLists.txt;28;drgate_unit_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[unit_test_store]=] "/work/main/build/tests/test_store")
set_tests_properties([=[unit_test_store]=] PROPERTIES  LABELS "unit" TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;22;add_test;/work/main/tests/CMakeLists.txt;28;drgate_unit_test;/work/main/tests/CMakeLists.txt;0;")
