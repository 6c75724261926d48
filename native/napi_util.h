// Helpers shared by the addon's files: argument checks, errno errors, IP literals, external
// handles, callbacks into JavaScript, and a growable array.
#pragma once
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

// Throws an Error with code (errno name), errno and syscall set, as Node's own; returns NULL.
napi_value throw_errno(napi_env env, const char* what, int err);
// Throws a TypeError; returns NULL.
napi_value throw_type(napi_env env, const char* msg);
// Fetches `want` arguments; 0 (TypeError thrown) when fewer were passed.
int get_args(napi_env env, napi_callback_info info, size_t want, napi_value* argv);
// Reads an int32; 0 (TypeError thrown) when v is not a number.
int get_i32(napi_env env, napi_value v, int32_t* out);
// An IPv4 or IPv6 literal and port into a sockaddr; -1 (nothing thrown) when v is not one.
int parse_addr(napi_env env, napi_value v, int32_t port, struct sockaddr_storage* ss, socklen_t* len);
// The pointer an external value wraps; NULL (TypeError "expected a <what>" thrown) when v is not one.
void* get_external(napi_env env, napi_value v, const char* what);
// Calls the referenced function from a libuv callback, inside the async context, with the global
// object as receiver (napi_make_callback needs an object). An exception thrown by it is reported
// as uncaught, as Node does for its own callbacks.
void call_js(napi_env env, napi_ref fn, napi_async_context ctx, size_t argc, const napi_value* argv);

// A growable array of fixed-size items: set .size, start empty, free(.items) when done.
typedef struct {
  void* items;
  size_t len, cap, size;
} vec_t;
// Appends a copy of *item; -1 when out of memory (nothing appended).
int vec_push(vec_t* v, const void* item);
