# aws-services: `drgate validate --live` against the sandbox (moto + the
# simulator), passing and failing. python3 from PATH (boto3, moto).
add_test(NAME integration_svc_live
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_svc_live.py
                 $<TARGET_FILE:drgate>)
set_tests_properties(integration_svc_live PROPERTIES
  LABELS integration TIMEOUT 120
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")

# The operations no action or check calls yet, through the real stack
# against the sandbox (SQS send/receive/visibility, ElastiCache
# DescribeReplicationGroups, RDS PromoteReadReplicaDBCluster).
add_executable(svc_ops svc_ops.c)
target_link_libraries(svc_ops PRIVATE drgate_adapters drgate_core drgate_config)
drgate_warnings(svc_ops)
add_test(NAME integration_svc_ops
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_svc_ops.py
                 $<TARGET_FILE:svc_ops>)
set_tests_properties(integration_svc_ops PROPERTIES
  LABELS integration TIMEOUT 120
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;AWS_EC2_METADATA_DISABLED=true")
