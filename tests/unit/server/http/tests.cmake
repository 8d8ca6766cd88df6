dd_unit_test(server/http http LIBS dd_http)
