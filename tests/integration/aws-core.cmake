# aws-core integration suites: each binary runs under aws_core_run.py, which
# starts the loopback stand-ins it needs and stops them by PID afterwards.
find_package(Python3 COMPONENTS Interpreter)

function(aws_core_itest name need)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.c)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(${name} PRIVATE drgate_testsupport ${DRGATE_TEST_LIBS})
  drgate_warnings(${name})
  add_test(NAME integration_${name}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/aws_core_run.py
                   --need ${need} -- $<TARGET_FILE:${name}>)
  set_tests_properties(integration_${name} PROPERTIES LABELS integration
                       TIMEOUT 180)
endfunction()

if(CHECK_FOUND AND Python3_Interpreter_FOUND)
  aws_core_itest(test_http stub)
  aws_core_itest(test_client moto,sigproxy,sim)
  aws_core_itest(test_client_faults fault)
endif()
