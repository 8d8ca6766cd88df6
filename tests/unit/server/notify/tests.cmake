dd_unit_test(server/notify notify LIBS dd_notify)
