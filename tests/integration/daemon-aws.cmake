# The daemon against the sandbox (label integration): the sqs source, the
# sns sink (with faultproxy.py failing SNS, kill -9 mid-drain), the policy
# timer and the status command. About 45 s.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME integration_daemon_aws
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_daemon_aws.py
                 $<TARGET_FILE:drgate> ${CMAKE_SOURCE_DIR})
set_tests_properties(integration_daemon_aws PROPERTIES LABELS integration TIMEOUT 180)
