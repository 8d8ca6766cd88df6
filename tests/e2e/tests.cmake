# tests/e2e: the dashboard in Debian's chromium, driven headless by playwright-core
# (tests/e2e/test_dashboard.js); screenshots go to the build dir's e2e-artifacts/.
# Without node, chromium or the npm packages the test fails saying how to install them.
find_program(DD_NODE node)
if(DD_NODE)
  add_test(NAME e2e/dashboard
           COMMAND ${DD_NODE} ${CMAKE_CURRENT_LIST_DIR}/test_dashboard.js $<TARGET_FILE:driftd>
                   ${PROJECT_SOURCE_DIR}/web ${CMAKE_BINARY_DIR}/e2e-artifacts)
else()
  add_test(NAME e2e/dashboard
           COMMAND sh -c "echo 'FAIL: node is missing: run bash scripts/deps.sh --test' >&2; exit 1")
endif()
set_tests_properties(e2e/dashboard PROPERTIES LABELS e2e TIMEOUT 300)
