# The libFuzzer target is built only with -DDRIFTD_FUZZ=ON (clang); the test
# suite builds it in its own tree and runs a short smoke (scripts/test.sh).
if(DRIFTD_FUZZ)
  add_executable(fuzz_events ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_events.c)
  target_link_libraries(fuzz_events PRIVATE dd_ingest)
  target_include_directories(fuzz_events PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
  target_link_options(fuzz_events PRIVATE -fsanitize=fuzzer)
  add_test(NAME fuzz/events_smoke
           COMMAND fuzz_events -max_total_time=20 -max_len=4096 -rss_limit_mb=2048
                   ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus)
  set_tests_properties(fuzz/events_smoke PROPERTIES LABELS fuzz TIMEOUT 120)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus)

  # raw HTTP requests to a real server started in-process (fuzz_http.c); the
  # inputs of bugs it found (repro_http/) run in every smoke
  add_executable(fuzz_http ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_http.c)
  target_link_libraries(fuzz_http PRIVATE dd_server)
  target_link_options(fuzz_http PRIVATE -fsanitize=fuzzer)
  add_test(NAME fuzz/http_smoke
           COMMAND fuzz_http -max_total_time=15 -max_len=4096 -timeout=10 -rss_limit_mb=2048
                   ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-http ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_http
                   ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/repro_http)
  set_tests_properties(fuzz/http_smoke PROPERTIES LABELS fuzz TIMEOUT 120)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-http)
endif()
