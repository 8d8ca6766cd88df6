# analysis/ unit tests; fixtures (*.txt) come from gen_fixtures.py (SciPy 1.10).
dd_unit_test(analysis ks LIBS dd_analysis)
