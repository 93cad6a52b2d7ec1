# The alarm storm (label integration): 100,000 messages through the Kafka
# mock cluster into drgate run, under peakrss (tests/bench).
add_test(NAME integration_storm
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_storm.py
                 $<TARGET_FILE:drgate> $<TARGET_FILE:kafka_mock>
                 ${CMAKE_SOURCE_DIR} $<TARGET_FILE:peakrss>)
set_tests_properties(integration_storm PROPERTIES LABELS integration TIMEOUT 180)
