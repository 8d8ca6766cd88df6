dd_unit_test(server/monitor signals LIBS dd_monitor)
dd_unit_test(server/monitor reference LIBS dd_monitor)
