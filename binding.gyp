{
  "targets": [
    {
      "target_name": "vigil_native",
      "sources": ["native/vigil_sock.c", "native/napi_util.c", "native/tcp_probe.c", "native/tcp_relay.c", "native/tcp_relay_pump.c", "native/signal_watch.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
