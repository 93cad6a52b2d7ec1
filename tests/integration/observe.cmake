# observe: the HTTP endpoint end to end. test_httpd_server is the fixture
# (endpoint + store + metrics on a fresh event base); the client runs under
# Debian's /usr/bin/python3 because /metrics is checked with
# python3-prometheus-client's parser (infra/deps.sh installs it).
add_executable(test_httpd_server ${CMAKE_CURRENT_LIST_DIR}/test_httpd_server.c)
target_link_libraries(test_httpd_server PRIVATE ${DRGATE_TEST_LIBS})
drgate_warnings(test_httpd_server)
add_test(NAME integration_test_httpd
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_httpd_client.py
                 $<TARGET_FILE:test_httpd_server>)
set_tests_properties(integration_test_httpd PROPERTIES LABELS integration
                     TIMEOUT 120)

# The metrics registry's cost (tests/bench/bench_metrics.c prints figures,
# asserts nothing about speed); registered here to keep tests/bench's
# CMakeLists.txt untouched.
add_executable(bench_metrics ${CMAKE_CURRENT_LIST_DIR}/../bench/bench_metrics.c)
target_link_libraries(bench_metrics PRIVATE ${DRGATE_TEST_LIBS})
drgate_warnings(bench_metrics)
add_test(NAME bench_metrics_smoke COMMAND bench_metrics 20000)
set_tests_properties(bench_metrics_smoke PROPERTIES LABELS bench TIMEOUT 60)
