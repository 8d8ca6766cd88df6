dd_unit_test(server/store store LIBS dd_store)
dd_unit_test(server/store writer LIBS dd_store)
dd_unit_test(server/store lifecycle LIBS dd_store)
