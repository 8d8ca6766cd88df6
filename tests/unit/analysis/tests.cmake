# analysis/ unit tests; fixtures (*.txt) come from gen_fixtures.py (SciPy 1.10).
foreach(t ks chi2 distance embed mmd multitest eval verdict calibration blas blas_missing calibrate)
  dd_unit_test(analysis ${t} LIBS dd_analysis)
endforeach()
