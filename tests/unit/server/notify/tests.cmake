foreach(t notify receiver pagerduty webhook mlflow torchserve github send message)
  dd_unit_test(server/notify ${t} LIBS dd_notify)
endforeach()
