dd_unit_test(ingest parse LIBS dd_ingest)
dd_unit_test(ingest jsonfast LIBS dd_ingest)
target_include_directories(test_ingest_jsonfast PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
dd_unit_test(ingest utf8 LIBS dd_ingest)
