foreach(t parse jsonfast utf8 csv types_parse)
  dd_unit_test(ingest ${t} LIBS dd_ingest)
endforeach()
target_include_directories(test_ingest_jsonfast PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
