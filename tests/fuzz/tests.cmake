# The libFuzzer targets are built only with -DDRIFTD_FUZZ=ON (clang); the test
# suite builds them in its own tree and runs a short smoke of each (scripts/test.sh).
if(DRIFTD_FUZZ)
  # dd_fuzz_target(<name> LIBS <libs> ARGS <libFuzzer options> DIRS <folders>)
  # builds tests/fuzz/fuzz_<name>.c and adds the smoke fuzz/<name>_smoke: the
  # options, then its own corpus in the build tree (fuzz-corpus-<name>, where
  # new inputs go), then the folders of tests/fuzz/ it reads (seeds, repro_*)
  function(dd_fuzz_target name)
    cmake_parse_arguments(F "" "" "LIBS;ARGS;DIRS" ${ARGN})
    add_executable(fuzz_${name} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_${name}.c)
    target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS})
    target_include_directories(fuzz_${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    set(corpus ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-${name})
    file(MAKE_DIRECTORY ${corpus})
    list(TRANSFORM F_DIRS PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/)
    add_test(NAME fuzz/${name}_smoke COMMAND fuzz_${name} ${F_ARGS} ${corpus} ${F_DIRS})
    set_tests_properties(fuzz/${name}_smoke PROPERTIES LABELS fuzz TIMEOUT 120)
  endfunction()

  # event, label, settings and time-range bodies, the fast path against cJSON
  dd_fuzz_target(events LIBS dd_ingest
                 ARGS -max_total_time=20 -max_len=4096 -rss_limit_mb=2048
                 DIRS corpus)

  # raw HTTP requests to a real server started in-process (fuzz_http.c); the
  # inputs of bugs it found (repro_http/) run in every smoke
  dd_fuzz_target(http LIBS dd_server
                 ARGS -max_total_time=15 -max_len=4096 -timeout=10 -rss_limit_mb=2048
                 DIRS corpus_http repro_http)

  # the PUT .../settings body: parser, merge, JSON and back (fuzz_settings.c).
  # repro_settings/ and repro_summary/ hold inputs of bugs found in code these
  # targets call; until those are fixed the targets step around them (see the
  # "Known bug" comments), then they run as regression inputs in every smoke
  dd_fuzz_target(settings LIBS dd_monitor
                 ARGS -max_total_time=10 -max_len=4096 -rss_limit_mb=2048 -malloc_limit_mb=64
                 DIRS corpus_settings repro_settings)

  # a reference's stored summary: decode, encode again (fuzz_summary.c);
  # -malloc_limit_mb: no single allocation may be much larger than the input
  dd_fuzz_target(summary LIBS dd_monitor
                 ARGS -max_total_time=10 -max_len=16384 -timeout=10 -rss_limit_mb=2048
                      -malloc_limit_mb=64
                 DIRS corpus_summary repro_summary)

  # CSV bodies (fuzz_csv.c): accepted batches keep the event rules, read back
  # the same when written as CSV, and agree with dd_parse_events() as JSON.
  dd_fuzz_target(csv LIBS dd_ingest
                 ARGS -max_total_time=10 -max_len=4096 -rss_limit_mb=2048
                 DIRS corpus_csv)

  # the Grafana datasource's bodies (fuzz_grafana.c): refused with a message,
  # or a possible request whose buckets stay within maxDataPoints
  dd_fuzz_target(grafana LIBS dd_api
                 ARGS -max_total_time=10 -max_len=4096 -rss_limit_mb=2048 -malloc_limit_mb=64
                 DIRS corpus_grafana)
endif()
