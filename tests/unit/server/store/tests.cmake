dd_unit_test(server/store store LIBS dd_store)
