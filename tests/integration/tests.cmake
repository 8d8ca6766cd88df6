# Integration tests: the real driftd binary on a loopback port (tests/integration/).
find_program(PYTHON3 python3 REQUIRED)
# dd_integration_test(<name> [SCRIPT <stem>] [ARGS <arg>...] [TIMEOUT <s>] [ENV <VAR=value>...]
# [ASAN_SLOW]) runs tests/integration/test_<stem or name>.py against the driftd binary (then
# ARGS: unittest class names, or --except and class names) as integration/<name>: label
# integration, TIMEOUT 300 s unless given, PYTHONDONTWRITEBYTECODE=1 then ENV in its
# environment, and DRIFTD_TEST_SLOW=1 too with ASAN_SLOW in a -DDRIFTD_SANITIZE=ON build
function(dd_integration_test name)
  cmake_parse_arguments(T "ASAN_SLOW" "TIMEOUT;SCRIPT" "ENV;ARGS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_SCRIPT)
    set(T_SCRIPT ${name})
  endif()
  set(env PYTHONDONTWRITEBYTECODE=1 ${T_ENV})
  if(T_ASAN_SLOW AND DRIFTD_SANITIZE)
    list(APPEND env DRIFTD_TEST_SLOW=1)
  endif()
  add_test(NAME integration/${name}
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_${T_SCRIPT}.py
                   $<TARGET_FILE:driftd> ${T_ARGS})
  set_tests_properties(integration/${name} PROPERTIES LABELS integration TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "${env}")
endfunction()
foreach(t ingest_api durability edge diskfull csv docs messages export lifecycle types verdict delivery alerts_e2e)
  dd_integration_test(${t})
endforeach()
# test_monitoring.py as two tests that run side by side: its server API class, and every
# other class (reference summaries, sampling, retention, restart, demo); under TSan the
# whole script took 196 s, the longest test of the command
dd_integration_test(monitoring ARGS Monitoring)
dd_integration_test(monitoring_rest SCRIPT monitoring ARGS --except Monitoring)
# the hostile-client suite relaxes its flood latency bound (1 s -> 3 s) under ASan
if(DRIFTD_SANITIZE)
  set_tests_properties(integration/edge PROPERTIES
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;DRIFTD_TEST_SLOW=1")
endif()
# #11's rules engine: rules, receivers, silences, the alert life-cycle
dd_integration_test(alerts)
# #12 item 7: `driftd check --format html` (verdict, rows, inlined data, nothing loaded by URL)
dd_integration_test(report_html)
# #13: a real Prometheus (Debian's, scripts/deps.sh --test) scrapes a driftd --demo
dd_integration_test(prometheus)
# #12 part 1: the dashboard's static files (types, ETag/304, HEAD, nothing outside web_root)
dd_integration_test(static)
# #13's Grafana JSON datasource: every /grafana/ call, CORS, keys, downsampling, the dashboard
dd_integration_test(grafana)
# #14's verdict: min_samples, the calibrated min-p verdict and its Holm fallbacks
dd_integration_test(calibrated)
# #12 part 6: --demo shows it all (drift and quiet versions, 24 h history, late labels, an alert
# that fires and resolves); DRIFTD_TEST_SLOW under ASan (a 90 s budget, fewer live events checked)
dd_integration_test(demo ASAN_SLOW)
# #14: a declared type changed after the calibration: that row by Bonferroni, then calibrated again
dd_integration_test(recalibrate)
