foreach(t config demo)
  dd_unit_test(server ${t} LIBS dd_server)
endforeach()
