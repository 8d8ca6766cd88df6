# Integration tests: the real driftd binary on a loopback port (tests/integration/).
find_program(PYTHON3 python3 REQUIRED)
foreach(t ingest_api durability monitoring edge diskfull csv docs messages export lifecycle types verdict delivery alerts_e2e)
  add_test(NAME integration/${t}
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_${t}.py $<TARGET_FILE:driftd>)
  set_tests_properties(integration/${t} PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endforeach()
# #11's rules engine: rules, receivers, silences, the alert life-cycle
add_test(NAME integration/alerts
         COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_alerts.py $<TARGET_FILE:driftd>)
set_tests_properties(integration/alerts PROPERTIES LABELS integration TIMEOUT 300
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# the hostile-client suite relaxes its flood latency bound (1 s -> 3 s) under ASan
if(DRIFTD_SANITIZE)
  set_tests_properties(integration/edge PROPERTIES
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;DRIFTD_TEST_SLOW=1")
endif()
# #12 item 7: `driftd check --format html` (verdict, rows, inlined data, nothing loaded by URL)
add_test(NAME integration/report_html
         COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_report_html.py
                 $<TARGET_FILE:driftd>)
set_tests_properties(integration/report_html PROPERTIES LABELS integration TIMEOUT 300
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# #13: a real Prometheus (Debian's, scripts/deps.sh --test) scrapes a driftd --demo
add_test(NAME integration/prometheus
         COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_prometheus.py $<TARGET_FILE:driftd>)
set_tests_properties(integration/prometheus PROPERTIES LABELS integration TIMEOUT 300
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# #12 part 1: the dashboard's static files (types, ETag/304, HEAD, nothing outside web_root)
add_test(NAME integration/static
         COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_static.py $<TARGET_FILE:driftd>)
set_tests_properties(integration/static PROPERTIES LABELS integration TIMEOUT 300
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# #13's Grafana JSON datasource: every /grafana/ call, CORS, keys, downsampling, the dashboard
add_test(NAME integration/grafana
         COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_grafana.py $<TARGET_FILE:driftd>)
set_tests_properties(integration/grafana PROPERTIES LABELS integration TIMEOUT 300
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# #14's verdict: min_samples, the calibrated min-p verdict and its Holm fallbacks
add_test(NAME integration/calibrated
         COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_calibrated.py $<TARGET_FILE:driftd>)
set_tests_properties(integration/calibrated PROPERTIES LABELS integration TIMEOUT 300
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# #12 part 6: --demo shows it all (drift and quiet versions, 24 h history, late labels, an alert that fires and resolves)
add_test(NAME integration/demo
         COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_demo.py $<TARGET_FILE:driftd>)
set_tests_properties(integration/demo PROPERTIES LABELS integration TIMEOUT 300
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
if(DRIFTD_SANITIZE)
  set_tests_properties(integration/demo PROPERTIES
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;DRIFTD_TEST_SLOW=1")
endif()
