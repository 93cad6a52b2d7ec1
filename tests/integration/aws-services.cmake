# aws-services: `drgate validate --live` against the sandbox (moto + the
# simulator), passing and failing. python3 from PATH (boto3, moto).
add_test(NAME integration_svc_live
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_svc_live.py
                 $<TARGET_FILE:drgate>)
set_tests_properties(integration_svc_live PROPERTIES
  LABELS integration TIMEOUT 120
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
