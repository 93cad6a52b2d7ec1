# creds-process integration suite: credential_process as an assume-role
# source against moto's STS, and IAM Identity Center (SSO) profiles against
# a loopback portal served by the test binary itself. Run through
# test_creds_run.py, which starts moto and gives CREDS_MOTO_URL.
find_package(Python3 COMPONENTS Interpreter)

if(CHECK_FOUND AND Python3_Interpreter_FOUND)
  add_executable(test_creds_process ${CMAKE_CURRENT_LIST_DIR}/test_creds_process.c)
  target_link_libraries(test_creds_process PRIVATE drgate_testsupport ${DRGATE_TEST_LIBS})
  drgate_warnings(test_creds_process)
  add_test(NAME integration_test_creds_process
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_creds_run.py
                   -- $<TARGET_FILE:test_creds_process>)
  set_tests_properties(integration_test_creds_process PROPERTIES
    LABELS integration TIMEOUT 180 ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endif()
