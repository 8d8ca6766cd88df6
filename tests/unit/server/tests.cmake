dd_unit_test(server store LIBS dd_server)
dd_unit_test(server config LIBS dd_server)
dd_unit_test(server signals LIBS dd_server)
dd_unit_test(server reference LIBS dd_server)
