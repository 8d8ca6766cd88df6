dd_unit_test(server/api routes LIBS dd_api)
dd_unit_test(server/api auth LIBS dd_api)
dd_unit_test(server/api answer LIBS dd_api)
dd_unit_test(server/api metrics LIBS dd_api)
