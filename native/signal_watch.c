// Signals Node cannot listen for: the real-time ones (keepalived's SIGJSON is SIGRTMIN+2 and its
// SIGSTATS_CLEAR SIGRTMAX-1), whose default action ends the process. A libuv signal handle takes
// any signal number on Node's own loop; the callback runs in JavaScript like any other event.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "signal_watch.h"

typedef struct {
  uv_signal_t sig;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int stopped;
} sigwatch_t;

static void on_closed(uv_handle_t* h) { free(h->data); }

static void on_signal(uv_signal_t* handle, int signum) {
  sigwatch_t* w = handle->data;
  if (w->stopped) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
  napi_value arg;
  napi_create_int32(w->env, signum, &arg);
  call_js(w->env, w->callback, w->context, 1, &arg);
  napi_close_handle_scope(w->env, scope);
}

// signalWatch(signum, callback(signum)) -> handle. The handle does not keep the process alive,
// as Node's own process.on(signal) does not.
napi_value js_signal_watch(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t signum;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &signum)) return NULL;
  if (signum <= 0 || signum >= _NSIG || signum == SIGKILL || signum == SIGSTOP)
    return throw_errno(env, "uv_signal_start", EINVAL);
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  sigwatch_t* w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "signalWatch", ENOMEM);
  w->env = env;
  napi_value name, resource;
  napi_create_string_utf8(env, "vigil:signal", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  if (napi_create_reference(env, argv[1], 1, &w->callback) != napi_ok) {
    free(w);
    return NULL;
  }
  if (napi_async_init(env, resource, name, &w->context) != napi_ok) {
    napi_delete_reference(env, w->callback);
    free(w);
    return NULL;
  }
  w->sig.data = w;
  int rc = uv_signal_init(loop, &w->sig);
  if (rc == 0) rc = uv_signal_start(&w->sig, on_signal, signum);
  if (rc != 0) {
    napi_delete_reference(env, w->callback);
    napi_async_destroy(env, w->context);
    uv_close((uv_handle_t*)&w->sig, on_closed);
    return throw_errno(env, "uv_signal_start", -rc);
  }
  uv_unref((uv_handle_t*)&w->sig);
  napi_value ext;
  if (napi_create_external(env, w, NULL, NULL, &ext) != napi_ok) return NULL;
  return ext;
}

// signalUnwatch(handle): the signal's default action applies again (unless another handle holds
// it). Idempotent.
napi_value js_signal_unwatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  sigwatch_t* w = get_external(env, argv[0], "signal handle");
  if (!w || w->stopped) return NULL;
  w->stopped = 1;
  uv_signal_stop(&w->sig);
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->context);
  uv_close((uv_handle_t*)&w->sig, on_closed);
  return NULL;
}

// signalRange() -> [SIGRTMIN, SIGRTMAX] as this libc defines them (glibc keeps 32 and 33 for
// itself, so SIGRTMIN is 34 there, not the kernel's 32).
napi_value js_signal_range(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value arr, lo, hi;
  if (napi_create_array_with_length(env, 2, &arr) != napi_ok) return NULL;
  napi_create_int32(env, SIGRTMIN, &lo);
  napi_create_int32(env, SIGRTMAX, &hi);
  napi_set_element(env, arr, 0, lo);
  napi_set_element(env, arr, 1, hi);
  return arr;
}
