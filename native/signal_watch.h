// Any signal number delivered to JavaScript through a libuv signal handle (native/signal_watch.c).
#pragma once
#include <node_api.h>

napi_value js_signal_watch(napi_env env, napi_callback_info info);
napi_value js_signal_unwatch(napi_env env, napi_callback_info info);
napi_value js_signal_range(napi_env env, napi_callback_info info);
