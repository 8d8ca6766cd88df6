foreach(t parse jsonfast utf8 csv types_parse)
  dd_unit_test(ingest ${t} LIBS dd_ingest)
endforeach()
# parse_both.h and event_eq.h: one copy with the fuzz targets, in tests/fuzz/
foreach(t jsonfast csv)
  target_include_directories(test_ingest_${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
endforeach()
