dd_unit_test(server/notify notify LIBS dd_notify)
dd_unit_test(server/notify receiver LIBS dd_notify)
