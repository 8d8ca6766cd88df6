dd_unit_test(server config LIBS dd_server)
dd_unit_test(server demo LIBS dd_server)
