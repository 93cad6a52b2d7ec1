# aws-creds integration suite: the credentials chain against a loopback
# IMDSv2/ECS server (hosted by test_creds_run.py) and moto's STS.
find_package(Python3 COMPONENTS Interpreter)

if(CHECK_FOUND AND Python3_Interpreter_FOUND)
  add_executable(test_creds_chain ${CMAKE_CURRENT_LIST_DIR}/test_creds_chain.c)
  target_link_libraries(test_creds_chain PRIVATE drgate_testsupport ${DRGATE_TEST_LIBS})
  drgate_warnings(test_creds_chain)
  add_test(NAME integration_test_creds_chain
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_creds_run.py
                   -- $<TARGET_FILE:test_creds_chain>)
  set_tests_properties(integration_test_creds_chain PROPERTIES
    LABELS integration TIMEOUT 180 ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endif()
