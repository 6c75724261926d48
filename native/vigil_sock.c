// vigil's one native addon: the few socket calls Node cannot make (raw IP sockets with ancillary
// data, AF_PACKET, setns) and the scheduling calls keepalived's process tuning needs (SCHED_RR,
// RLIMIT_RTTIME, CPU affinity). It only moves bytes and file descriptors; every structure layout and
// every protocol decision lives in TypeScript (src/os/native.ts and its callers).
//
// Calls are non-blocking: sockets are opened with SOCK_NONBLOCK, recvmsg returns null on EAGAIN,
// and readability is reported through a libuv poll handle on Node's own event loop.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "signal_watch.h"
#include "tcp_probe.h"
#include "tcp_relay.h"

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) return NULL;                                                            \
  } while (0)

static napi_value make_i32(napi_env env, int32_t n) {
  napi_value v;
  napi_create_int32(env, n, &v);
  return v;
}

// socket(domain, type, protocol) -> fd (non-blocking, close-on-exec)
static napi_value js_socket(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t domain, type, proto;
  if (!get_args(env, info, 3, argv) || !get_i32(env, argv[0], &domain) || !get_i32(env, argv[1], &type) ||
      !get_i32(env, argv[2], &proto))
    return NULL;
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return make_i32(env, fd);
}

// setsockopt(fd, level, name, value: int | Buffer)
static napi_value js_setsockopt(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, level, name;
  if (!get_args(env, info, 4, argv) || !get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &level) ||
      !get_i32(env, argv[2], &name))
    return NULL;
  bool is_buf = false;
  napi_is_buffer(env, argv[3], &is_buf);
  int rc;
  if (is_buf) {
    void* data;
    size_t len;
    CHECK(napi_get_buffer_info(env, argv[3], &data, &len));
    rc = setsockopt(fd, level, name, data, (socklen_t)len);
  } else {
    int32_t value;
    if (!get_i32(env, argv[3], &value)) return NULL;
    int v = value;
    rc = setsockopt(fd, level, name, &v, sizeof v);
  }
  if (rc < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

// bind(fd, sockaddr: Buffer)
static napi_value js_bind(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  void* addr;
  size_t len;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  if (napi_get_buffer_info(env, argv[1], &addr, &len) != napi_ok) return throw_type(env, "sockaddr must be a Buffer");
  if (bind(fd, (struct sockaddr*)addr, (socklen_t)len) < 0) return throw_errno(env, "bind", errno);
  return NULL;
}

// sendmsg(fd, data: Buffer, sockaddr: Buffer | null, cmsgs: [level, type, Buffer][] | null) -> bytes sent
static napi_value js_sendmsg(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd;
  if (!get_args(env, info, 4, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  struct iovec iov;
  size_t dlen;
  if (napi_get_buffer_info(env, argv[1], &iov.iov_base, &dlen) != napi_ok) return throw_type(env, "data must be a Buffer");
  iov.iov_len = dlen;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;

  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  if (t != napi_null && t != napi_undefined) {
    size_t alen;
    if (napi_get_buffer_info(env, argv[2], &msg.msg_name, &alen) != napi_ok)
      return throw_type(env, "sockaddr must be a Buffer or null");
    msg.msg_namelen = (socklen_t)alen;
  }

  char control[256] __attribute__((aligned(8)));
  napi_typeof(env, argv[3], &t);
  if (t != napi_null && t != napi_undefined) {
    uint32_t n;
    if (napi_get_array_length(env, argv[3], &n) != napi_ok) return throw_type(env, "cmsgs must be an array");
    size_t used = 0;
    memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    for (uint32_t i = 0; i < n; i++) {
      napi_value entry, lv, tv, bv;
      int32_t level, type;
      void* data;
      size_t len;
      CHECK(napi_get_element(env, argv[3], i, &entry));
      CHECK(napi_get_element(env, entry, 0, &lv));
      CHECK(napi_get_element(env, entry, 1, &tv));
      CHECK(napi_get_element(env, entry, 2, &bv));
      if (!get_i32(env, lv, &level) || !get_i32(env, tv, &type)) return NULL;
      if (napi_get_buffer_info(env, bv, &data, &len) != napi_ok) return throw_type(env, "cmsg data must be a Buffer");
      if (c == NULL || used + CMSG_SPACE(len) > sizeof control) return throw_type(env, "cmsgs too large");
      c->cmsg_level = level;
      c->cmsg_type = type;
      c->cmsg_len = CMSG_LEN(len);
      memcpy(CMSG_DATA(c), data, len);
      used += CMSG_SPACE(len);
      c = CMSG_NXTHDR(&msg, c);  // bounded by the whole buffer until the loop ends
    }
    msg.msg_controllen = used;
    if (n == 0) msg.msg_control = NULL;
  }
  ssize_t sent = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent < 0) return throw_errno(env, "sendmsg", errno);
  return make_i32(env, (int32_t)sent);
}

// recvmsg(fd, maxLen) -> null (nothing queued) | { data, addr, cmsgs: [{level, type, data}], truncated }
static napi_value js_recvmsg(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd, max;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &max)) return NULL;
  if (max <= 0 || max > 65536) return throw_type(env, "maxLen must be 1..65536");
  char* buf = malloc((size_t)max);
  if (!buf) return throw_errno(env, "recvmsg", ENOMEM);
  struct sockaddr_storage from;
  char control[512] __attribute__((aligned(8)));
  struct iovec iov = {buf, (size_t)max};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0) {
    int err = errno;
    free(buf);
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
      napi_value null_v;
      napi_get_null(env, &null_v);
      return null_v;
    }
    return throw_errno(env, "recvmsg", err);
  }
  napi_value result, data, addr, cmsgs, truncated;
  CHECK(napi_create_object(env, &result));
  napi_status st = napi_create_buffer_copy(env, (size_t)n, buf, NULL, &data);
  free(buf);
  if (st != napi_ok) return NULL;
  CHECK(napi_create_buffer_copy(env, msg.msg_namelen, &from, NULL, &addr));
  CHECK(napi_create_array(env, &cmsgs));
  uint32_t i = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    napi_value entry, cdata;
    size_t len = c->cmsg_len - CMSG_LEN(0);
    CHECK(napi_create_object(env, &entry));
    CHECK(napi_create_buffer_copy(env, len, CMSG_DATA(c), NULL, &cdata));
    CHECK(napi_set_named_property(env, entry, "level", make_i32(env, c->cmsg_level)));
    CHECK(napi_set_named_property(env, entry, "type", make_i32(env, c->cmsg_type)));
    CHECK(napi_set_named_property(env, entry, "data", cdata));
    CHECK(napi_set_element(env, cmsgs, i++, entry));
  }
  CHECK(napi_get_boolean(env, (msg.msg_flags & MSG_TRUNC) != 0, &truncated));
  CHECK(napi_set_named_property(env, result, "data", data));
  CHECK(napi_set_named_property(env, result, "addr", addr));
  CHECK(napi_set_named_property(env, result, "cmsgs", cmsgs));
  CHECK(napi_set_named_property(env, result, "truncated", truncated));
  return result;
}

// close(fd)
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  if (close(fd) < 0) return throw_errno(env, "close", errno);
  return NULL;
}

// setns(fd): moves the calling (main) thread into the network namespace open at fd. Sockets keep
// the namespace they were created in, so tests and the lab can open sockets in several namespaces.
static napi_value js_setns(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  if (setns(fd, CLONE_NEWNET) < 0) return throw_errno(env, "setns", errno);
  return NULL;
}

// ifindex(name) -> interface index in the calling thread's network namespace (0 when absent).
static napi_value js_ifindex(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[IF_NAMESIZE + 1];
  size_t len;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
    return throw_type(env, "interface name must be a string");
  return make_i32(env, (int32_t)if_nametoindex(name));
}

// Readability watch on Node's event loop.
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int stopped;
} watch_t;

static void on_watch_closed(uv_handle_t* h) { free(h->data); }

static void on_readable(uv_poll_t* handle, int status, int events) {
  (void)events;
  watch_t* w = handle->data;
  if (w->stopped) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value arg = make_i32(env, status);
  call_js(env, w->callback, w->context, 1, &arg);
  napi_close_handle_scope(env, scope);
}

// watch(fd, callback(status)) -> handle; callback runs whenever fd is readable (status < 0: error).
static napi_value js_watch(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  watch_t* w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "watch", ENOMEM);
  w->env = env;
  napi_value name, resource;
  napi_create_string_utf8(env, "vigil:socket", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);  // some Node versions reject a NULL async resource
  if (napi_create_reference(env, argv[1], 1, &w->callback) != napi_ok ||
      napi_async_init(env, resource, name, &w->context) != napi_ok) {
    free(w);
    return NULL;
  }
  w->poll.data = w;
  int rc = uv_poll_init_socket(loop, &w->poll, fd);
  if (rc != 0) {
    napi_delete_reference(env, w->callback);
    napi_async_destroy(env, w->context);
    free(w);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    napi_delete_reference(env, w->callback);
    napi_async_destroy(env, w->context);
    uv_close((uv_handle_t*)&w->poll, on_watch_closed);
    return throw_errno(env, "uv_poll_start", -rc);
  }
  napi_value ext;
  CHECK(napi_create_external(env, w, NULL, NULL, &ext));
  return ext;
}

static watch_t* get_watch(napi_env env, napi_value v) { return get_external(env, v, "watch handle"); }

// unwatch(handle): stops the watch before the fd is closed. Idempotent.
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  watch_t* w = get_watch(env, argv[0]);
  if (!w || w->stopped) return NULL;
  w->stopped = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->context);
  uv_close((uv_handle_t*)&w->poll, on_watch_closed);
  return NULL;
}

// refWatch(handle, keepAlive): whether this watch keeps the process alive.
static napi_value js_ref_watch(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  bool keep;
  if (!get_args(env, info, 2, argv)) return NULL;
  watch_t* w = get_watch(env, argv[0]);
  if (!w || w->stopped) return NULL;
  if (napi_get_value_bool(env, argv[1], &keep) != napi_ok) return throw_type(env, "expected a boolean");
  if (keep)
    uv_ref((uv_handle_t*)&w->poll);
  else
    uv_unref((uv_handle_t*)&w->poll);
  return NULL;
}

// schedRr(tid, priority): SCHED_RR at `priority` (1..99) for one thread (0: the calling one).
static napi_value js_sched_rr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t tid, prio;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &tid) || !get_i32(env, argv[1], &prio))
    return NULL;
  struct sched_param sp = {.sched_priority = prio};
  if (sched_setscheduler(tid, SCHED_RR, &sp) < 0) return throw_errno(env, "sched_setscheduler", errno);
  return NULL;
}

// rlimitRttime(us): RLIMIT_RTTIME soft limit, the CPU a realtime thread may use without a blocking
// call before SIGXCPU (the caller logs it). The hard limit (SIGKILL) stays unlimited: the kernel's
// RT throttling (sched_rt_runtime_us) already keeps a runaway thread from starving the machine.
static napi_value js_rlimit_rttime(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t us;
  if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], &us)) return NULL;
  struct rlimit rl = {.rlim_cur = (rlim_t)us, .rlim_max = RLIM_INFINITY};
  if (setrlimit(RLIMIT_RTTIME, &rl) < 0) return throw_errno(env, "setrlimit", errno);
  return NULL;
}

// setAffinity(tid, cpus[]): the CPUs one thread may run on.
static napi_value js_set_affinity(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t tid;
  uint32_t n;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &tid)) return NULL;
  if (napi_get_array_length(env, argv[1], &n) != napi_ok) return throw_type(env, "expected an array of CPUs");
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int32_t cpu;
    CHECK(napi_get_element(env, argv[1], i, &v));
    if (!get_i32(env, v, &cpu)) return NULL;
    if (cpu < 0 || cpu >= CPU_SETSIZE) return throw_type(env, "CPU number out of range");
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(tid, sizeof set, &set) < 0) return throw_errno(env, "sched_setaffinity", errno);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"socket", NULL, js_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setsockopt", NULL, js_setsockopt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bind", NULL, js_bind, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendmsg", NULL, js_sendmsg, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvmsg", NULL, js_recvmsg, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifindex", NULL, js_ifindex, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setns", NULL, js_setns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"refWatch", NULL, js_ref_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"schedRr", NULL, js_sched_rr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rlimitRttime", NULL, js_rlimit_rttime, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setAffinity", NULL, js_set_affinity, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpProber", NULL, js_tcp_prober, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpProbe", NULL, js_tcp_probe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"checkSocket", NULL, js_check_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpRelay", NULL, js_tcp_relay, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayListen", NULL, js_relay_listen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayUnlisten", NULL, js_relay_unlisten, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayConnect", NULL, js_relay_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayEnd", NULL, js_relay_end, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayRef", NULL, js_relay_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayBuffered", NULL, js_relay_buffered, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayStop", NULL, js_relay_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signalWatch", NULL, js_signal_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signalUnwatch", NULL, js_signal_unwatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signalRange", NULL, js_signal_range, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
