# analysis/ unit tests; fixtures (*.txt) come from gen_fixtures.py (SciPy 1.10).
dd_unit_test(analysis ks LIBS dd_analysis)
dd_unit_test(analysis chi2 LIBS dd_analysis)
dd_unit_test(analysis distance LIBS dd_analysis)
dd_unit_test(analysis embed LIBS dd_analysis)
dd_unit_test(analysis mmd LIBS dd_analysis)
dd_unit_test(analysis multitest LIBS dd_analysis)
dd_unit_test(analysis eval LIBS dd_analysis)
dd_unit_test(analysis calibration LIBS dd_analysis)
