{
  "targets": [
    {
      "target_name": "vigil_native",
      "sources": ["native/vigil_sock.c", "native/tcp_probe.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
