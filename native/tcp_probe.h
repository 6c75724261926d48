// The checkers' connect prober and UDP sockets (tcp_probe.c), registered by vigil_sock.c's init.
#pragma once
#include <node_api.h>

napi_value js_tcp_prober(napi_env env, napi_callback_info info);
napi_value js_tcp_probe(napi_env env, napi_callback_info info);
napi_value js_check_socket(napi_env env, napi_callback_info info);
