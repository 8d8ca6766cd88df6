# The libFuzzer targets are built only with -DDRIFTD_FUZZ=ON (clang); the test
# suite builds them in its own tree and runs a short smoke of each (scripts/test.sh).
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

  # the PUT .../settings body: parser, merge, JSON and back (fuzz_settings.c).
  # repro_settings/ and repro_summary/ hold inputs of bugs found in code these
  # targets call; until those are fixed the targets step around them (see the
  # "Known bug" comments), then they run as regression inputs in every smoke
  add_executable(fuzz_settings ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_settings.c)
  target_link_libraries(fuzz_settings PRIVATE dd_monitor)
  target_link_options(fuzz_settings PRIVATE -fsanitize=fuzzer)
  add_test(NAME fuzz/settings_smoke
           COMMAND fuzz_settings -max_total_time=10 -max_len=4096 -rss_limit_mb=2048
                   -malloc_limit_mb=64
                   ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-settings
                   ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_settings
                   ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/repro_settings)
  set_tests_properties(fuzz/settings_smoke PROPERTIES LABELS fuzz TIMEOUT 120)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-settings)

  # a reference's stored summary: decode, encode again (fuzz_summary.c);
  # -malloc_limit_mb: no single allocation may be much larger than the input
  add_executable(fuzz_summary ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_summary.c)
  target_link_libraries(fuzz_summary PRIVATE dd_monitor)
  target_link_options(fuzz_summary PRIVATE -fsanitize=fuzzer)
  add_test(NAME fuzz/summary_smoke
           COMMAND fuzz_summary -max_total_time=10 -max_len=16384 -timeout=10 -rss_limit_mb=2048
                   -malloc_limit_mb=64
                   ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-summary
                   ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_summary
                   ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/repro_summary)
  set_tests_properties(fuzz/summary_smoke PROPERTIES LABELS fuzz TIMEOUT 120)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-summary)

  # CSV bodies (fuzz_csv.c): accepted batches keep the event rules, read back
  # the same when written as CSV, and agree with dd_parse_events() as JSON.
  add_executable(fuzz_csv ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_csv.c)
  target_link_libraries(fuzz_csv PRIVATE dd_ingest)
  target_link_options(fuzz_csv PRIVATE -fsanitize=fuzzer)
  add_test(NAME fuzz/csv_smoke
           COMMAND fuzz_csv -max_total_time=10 -max_len=4096 -rss_limit_mb=2048
                   ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-csv ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_csv)
  set_tests_properties(fuzz/csv_smoke PROPERTIES LABELS fuzz TIMEOUT 120)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-csv)
endif()
