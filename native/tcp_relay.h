// The user-space engine's TCP relay (tcp_relay.c), registered by vigil_sock.c's init.
#pragma once
#include <node_api.h>

napi_value js_tcp_relay(napi_env env, napi_callback_info info);
napi_value js_relay_listen(napi_env env, napi_callback_info info);
napi_value js_relay_unlisten(napi_env env, napi_callback_info info);
napi_value js_relay_connect(napi_env env, napi_callback_info info);
napi_value js_relay_end(napi_env env, napi_callback_info info);
napi_value js_relay_ref(napi_env env, napi_callback_info info);
napi_value js_relay_buffered(napi_env env, napi_callback_info info);
napi_value js_relay_stop(napi_env env, napi_callback_info info);
