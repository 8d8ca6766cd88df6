foreach(t signals reference settings refcache retention types rules alerts)
  dd_unit_test(server/monitor ${t} LIBS dd_monitor)
endforeach()
