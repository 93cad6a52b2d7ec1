# The daemon's integration tests (label integration): drgate run with file,
# probe and Kafka (librdkafka mock cluster) sources and sinks, audit
# verify, kill -9 and restart.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_executable(kafka_mock ${CMAKE_CURRENT_LIST_DIR}/kafka_mock.c)
target_link_libraries(kafka_mock PRIVATE PkgConfig::RDKAFKA)
drgate_warnings(kafka_mock)
foreach(t daemon_file daemon_probe daemon_probe_https daemon_kafka)
  add_test(NAME integration_${t}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.py
                   $<TARGET_FILE:drgate> $<TARGET_FILE:kafka_mock>
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(integration_${t} PROPERTIES LABELS integration TIMEOUT 120)
endforeach()
