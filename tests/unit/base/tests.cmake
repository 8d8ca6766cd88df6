dd_unit_test(base sha256 LIBS dd_base)
dd_unit_test(base timefmt LIBS dd_base)
dd_unit_test(base base64 LIBS dd_base)
dd_unit_test(base buf LIBS dd_base)
