// Helpers shared by the addon's files: argument checks, errno errors, IP literals.
#pragma once
#include <node_api.h>
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
