# executor: the test driver (TEST BUILD ONLY: it can abort() at a named
# point) and the sandbox scenarios that run it (switchover, unplanned
# failover during an outage, !Import manifests, crash/resume, deadline).
add_executable(exec_driver ${CMAKE_CURRENT_LIST_DIR}/exec_driver.c)
target_link_libraries(exec_driver PRIVATE ${DRGATE_TEST_LIBS})
drgate_warnings(exec_driver)
add_test(NAME integration_exec_sandbox
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_exec_sandbox.py
                 $<TARGET_FILE:exec_driver> $<TARGET_FILE:drgate>)
set_tests_properties(integration_exec_sandbox PROPERTIES
  LABELS integration TIMEOUT 180
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
