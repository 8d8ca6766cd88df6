foreach(t routes auth answer metrics h_static)
  dd_unit_test(server/api ${t} LIBS dd_api)
endforeach()
dd_unit_test(server/api grafana_req LIBS dd_api)
