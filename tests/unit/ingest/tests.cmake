dd_unit_test(ingest parse LIBS dd_ingest)
