foreach(t sha256 timefmt base64 buf arena bytes periodic thread)
  dd_unit_test(base ${t} LIBS dd_base)
endforeach()
