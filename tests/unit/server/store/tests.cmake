foreach(t store writer lifecycle)
  dd_unit_test(server/store ${t} LIBS dd_store)
endforeach()
