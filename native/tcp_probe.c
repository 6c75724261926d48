// TCP_CHECK's connect probe, run on a thread of its own: socket, bind, non-blocking connect, wait
// for the handshake with epoll, close with a reset. A net.Socket per check costs the event loop
// ~60 µs of JavaScript (stream, handle, emitter, promise) on top of the kernel's work; at 10,000
// checks a second that alone is most of a core, and it runs on the thread that must also keep
// HTTP checks on schedule. Here the JavaScript side makes one call per check and gets the answers
// back in batches. Only the mechanics live here; what an answer means is decided in TypeScript
// (src/check/tcp-native.ts).
// A probe may carry bind_if (SO_BINDTODEVICE) and fwmark (SO_MARK), which Node's sockets cannot
// set, and may keep its connection: the connected fd is then handed to JavaScript (HTTP_GET,
// SSL_GET and SMTP_CHECK wrap it in a net.Socket). checkSocket() makes UDP sockets the same way.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "tcp_probe.h"

typedef struct {
  uint32_t id;
  int timeout_ms;
  struct sockaddr_storage dst, src;
  socklen_t dst_len, src_len;  // src_len 0: no bind
  double t0;                   // CLOCK_MONOTONIC ms at submit
  char ifname[IFNAMSIZ];       // "" : no SO_BINDTODEVICE
  uint32_t mark;               // 0: no SO_MARK
  int keep;                    // hand the connected fd over instead of closing it
} request_t;

typedef struct {
  uint32_t id;
  int32_t err;  // 0 connected, -1 timeout, else errno | the failed step (STEP_*) << 16
  int32_t fd;   // the connection when kept, else -1
  double ms;
} answer_t;

// Which setup step failed, in an answer's err above the errno (connect itself is 0).
enum { STEP_MARK = 1, STEP_DEVICE = 2, STEP_BIND = 3 };

// One probe in flight, indexed by its fd.
typedef struct {
  uint32_t id;
  uint32_t seq;  // matches its heap entry; 0 = free
  int keep;
  double t0, deadline;
} flight_t;

typedef struct {
  double deadline;
  int fd;
  uint32_t seq;
} heap_entry_t;

typedef struct {
  uv_async_t async;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  pthread_t thread;
  pthread_mutex_t lock;
  int epfd, wakefd;
  int stopping;
  vec_t requests, answers;  // under lock
  // The thread's own state.
  flight_t* flights;
  size_t nflights;
  heap_entry_t* heap;
  size_t heap_len, heap_cap;
  uint32_t next_seq;
  int32_t pending;  // loop thread only: probes submitted and not yet answered
} prober_t;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void heap_push(prober_t* p, heap_entry_t e) {
  if (p->heap_len == p->heap_cap) {
    size_t cap = p->heap_cap ? p->heap_cap * 2 : 1024;
    heap_entry_t* h = realloc(p->heap, cap * sizeof *h);
    if (!h) abort();  // a few KiB: out of memory here is not recoverable
    p->heap = h;
    p->heap_cap = cap;
  }
  size_t i = p->heap_len++;
  while (i > 0) {
    size_t up = (i - 1) / 2;
    if (p->heap[up].deadline <= e.deadline) break;
    p->heap[i] = p->heap[up];
    i = up;
  }
  p->heap[i] = e;
}

static heap_entry_t heap_pop(prober_t* p) {
  heap_entry_t top = p->heap[0], last = p->heap[--p->heap_len];
  size_t i = 0, n = p->heap_len;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && p->heap[c + 1].deadline < p->heap[c].deadline) c++;
    if (last.deadline <= p->heap[c].deadline) break;
    p->heap[i] = p->heap[c];
    i = c;
  }
  if (n) p->heap[i] = last;
  return top;
}

static void answer_fd(prober_t* p, uint32_t id, int32_t err, int fd, double t0) {
  answer_t a = {.id = id, .err = err, .fd = fd, .ms = now_ms() - t0};
  pthread_mutex_lock(&p->lock);
  int first = p->answers.len == 0;
  vec_push(&p->answers, &a);
  pthread_mutex_unlock(&p->lock);
  if (first) uv_async_send(&p->async);
}

static void answer(prober_t* p, uint32_t id, int32_t err, double t0) { answer_fd(p, id, err, -1, t0); }

// keepalived's socket_bind_connect order: SO_MARK, SO_BINDTODEVICE, then bind. 0, or the failed
// step << 16 | errno.
static int32_t prepare(int fd, uint32_t mark, const char* ifname, const struct sockaddr* src,
                       socklen_t src_len) {
  if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) return STEP_MARK << 16 | errno;
  if (ifname[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0)
    return STEP_DEVICE << 16 | errno;
  if (src_len) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, src, src_len) < 0) return STEP_BIND << 16 | errno;
  }
  return 0;
}

// Ends a probe in flight: a completed handshake is handed over when kept, else closed with a reset
// (linger 0), so neither end keeps a TIME_WAIT per check.
static void finish(prober_t* p, int fd, int32_t err) {
  flight_t* f = &p->flights[fd];
  epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
  f->seq = 0;
  if (err == 0 && f->keep) return answer_fd(p, f->id, 0, fd, f->t0);
  if (err == 0) {
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close(fd);
  answer(p, f->id, err, f->t0);
}

static int ensure_flights(prober_t* p, int fd) {
  if ((size_t)fd < p->nflights) return 0;
  size_t n = p->nflights ? p->nflights : 1024;
  while (n <= (size_t)fd) n *= 2;
  flight_t* f = realloc(p->flights, n * sizeof *f);
  if (!f) return -1;
  memset(f + p->nflights, 0, (n - p->nflights) * sizeof *f);
  p->flights = f;
  p->nflights = n;
  return 0;
}

static void start(prober_t* p, const request_t* r) {
  int fd = socket(r->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return answer(p, r->id, errno, r->t0);
  int32_t e = prepare(fd, r->mark, r->ifname, (const struct sockaddr*)&r->src, r->src_len);
  if (e) {
    close(fd);
    return answer(p, r->id, e, r->t0);
  }
  if (ensure_flights(p, fd) < 0) {
    close(fd);
    return answer(p, r->id, ENOMEM, r->t0);
  }
  flight_t* f = &p->flights[fd];
  f->id = r->id;
  f->t0 = r->t0;
  f->keep = r->keep;
  f->deadline = r->t0 + r->timeout_ms;
  f->seq = ++p->next_seq ? p->next_seq : ++p->next_seq;
  if (connect(fd, (const struct sockaddr*)&r->dst, r->dst_len) == 0) return finish(p, fd, 0);
  if (errno != EINPROGRESS) return finish(p, fd, errno);
  struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
  if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) return finish(p, fd, errno);
  heap_push(p, (heap_entry_t){.deadline = f->deadline, .fd = fd, .seq = f->seq});
}

static void* run(void* arg) {
  prober_t* p = arg;
  struct epoll_event events[256];
  vec_t batch = {.size = sizeof(request_t)};
  for (;;) {
    int wait = -1;
    while (p->heap_len) {
      heap_entry_t* top = &p->heap[0];
      if (p->flights[top->fd].seq != top->seq) {
        heap_pop(p);  // answered before its deadline
        continue;
      }
      double left = top->deadline - now_ms();
      if (left > 0) {
        wait = (int)left + 1;
        break;
      }
      heap_entry_t e = heap_pop(p);
      finish(p, e.fd, -1);
    }
    int n = epoll_wait(p->epfd, events, 256, wait);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == p->wakefd) {
        uint64_t v;
        if (read(p->wakefd, &v, sizeof v) < 0) { /* spurious: nothing to drain */
        }
        pthread_mutex_lock(&p->lock);
        vec_t t = p->requests;
        p->requests = batch;
        batch = t;
        int stopping = p->stopping;
        pthread_mutex_unlock(&p->lock);
        if (stopping) goto out;
        for (size_t j = 0; j < batch.len; j++) start(p, (request_t*)batch.items + j);
        batch.len = 0;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      finish(p, fd, err);
    }
  }
out:
  for (size_t fd = 0; fd < p->nflights; fd++)
    if (p->flights[fd].seq) close((int)fd);
  free(batch.items);
  return NULL;
}

// On the loop thread: hands the answers to JavaScript as (ids, errs, ms, fds) arrays.
static void on_answers(uv_async_t* h) {
  prober_t* p = h->data;
  pthread_mutex_lock(&p->lock);
  vec_t got = p->answers;
  p->answers = (vec_t){.size = sizeof(answer_t)};
  pthread_mutex_unlock(&p->lock);
  if (got.len == 0) return;
  p->pending -= (int32_t)got.len;
  if (p->pending <= 0) uv_unref((uv_handle_t*)&p->async);
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    free(got.items);
    return;
  }
  napi_value args[4], bufs[4];
  void* data[4];
  size_t sizes[4] = {4, 4, 8, 4};
  for (int k = 0; k < 4; k++) napi_create_arraybuffer(env, got.len * sizes[k], &data[k], &bufs[k]);
  for (size_t i = 0; i < got.len; i++) {
    answer_t* a = (answer_t*)got.items + i;
    ((uint32_t*)data[0])[i] = a->id;
    ((int32_t*)data[1])[i] = a->err;
    ((double*)data[2])[i] = a->ms;
    ((int32_t*)data[3])[i] = a->fd;
  }
  free(got.items);
  napi_create_typedarray(env, napi_uint32_array, got.len, bufs[0], 0, &args[0]);
  napi_create_typedarray(env, napi_int32_array, got.len, bufs[1], 0, &args[1]);
  napi_create_typedarray(env, napi_float64_array, got.len, bufs[2], 0, &args[2]);
  napi_create_typedarray(env, napi_int32_array, got.len, bufs[3], 0, &args[3]);
  call_js(env, p->callback, p->context, 4, args);
  napi_close_handle_scope(env, scope);
}

static prober_t* get_prober(napi_env env, napi_value v) { return get_external(env, v, "TCP prober"); }

// tcpProber(callback(ids, errs, ms, fds)) -> prober. The thread starts here, in the calling thread's
// network namespace.
napi_value js_tcp_prober(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "missing callback");
    return NULL;
  }
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  prober_t* p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->env = env;
  p->requests.size = sizeof(request_t);
  p->answers.size = sizeof(answer_t);
  pthread_mutex_init(&p->lock, NULL);
  p->epfd = epoll_create1(EPOLL_CLOEXEC);
  p->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = p->wakefd};
  napi_value name, resource;
  napi_create_string_utf8(env, "vigil:tcp-probe", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  if (p->epfd < 0 || p->wakefd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->wakefd, &ev) < 0 ||
      napi_create_reference(env, argv[0], 1, &p->callback) != napi_ok ||
      napi_async_init(env, resource, name, &p->context) != napi_ok) {
    napi_throw_error(env, NULL, "cannot create the TCP prober");
    return NULL;
  }
  uv_async_init(loop, &p->async, on_answers);
  p->async.data = p;
  uv_unref((uv_handle_t*)&p->async);
  if (pthread_create(&p->thread, NULL, run, p) != 0) {
    napi_throw_error(env, NULL, "cannot start the TCP prober thread");
    return NULL;
  }
  napi_value ext;
  napi_create_external(env, p, NULL, NULL, &ext);
  return ext;
}

// bind_if's name into out ("" for null or undefined); -1 when v is neither nor a name that fits.
static int get_ifname(napi_env env, napi_value v, char out[IFNAMSIZ]) {
  napi_valuetype t;
  size_t n;
  out[0] = 0;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) return 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok || n == 0 || n >= IFNAMSIZ) return -1;
  napi_get_value_string_utf8(env, v, out, IFNAMSIZ, &n);
  return 0;
}

// The local address to bind: bindIp (a string, else any) and bindPort; *len stays 0 when there
// is neither. -1 when bindIp is not an IP literal.
static int get_bind(napi_env env, napi_value ip, int32_t port, const struct sockaddr_storage* dst,
                    socklen_t dst_len, struct sockaddr_storage* src, socklen_t* len) {
  napi_valuetype t;
  napi_typeof(env, ip, &t);
  if (t == napi_string) return parse_addr(env, ip, port, src, len);
  if (port > 0) {
    // bind_port alone: the wildcard address of the destination's family.
    memset(src, 0, sizeof *src);
    src->ss_family = dst->ss_family;
    *len = dst_len;
    ((struct sockaddr_in*)src)->sin_port = htons((uint16_t)port);  // same offset in sockaddr_in6
  }
  return 0;
}

// probe(prober, id, ip, port, timeoutMs, bindIp | null, bindPort[, ifname | null, mark, keep])
// -> false when an address is not an IP literal (the caller then uses a net.Socket).
napi_value js_tcp_probe(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return NULL;
  }
  prober_t* p = get_prober(env, argv[0]);
  if (!p) return NULL;
  request_t r = {0};
  int32_t port, timeout, bport;
  napi_get_value_uint32(env, argv[1], &r.id);
  napi_get_value_int32(env, argv[3], &port);
  napi_get_value_int32(env, argv[4], &timeout);
  napi_get_value_int32(env, argv[6], &bport);
  if (argc >= 10) {
    bool keep = false;
    if (get_ifname(env, argv[7], r.ifname) < 0) return throw_type(env, "bind_if: not an interface name");
    napi_get_value_uint32(env, argv[8], &r.mark);
    napi_get_value_bool(env, argv[9], &keep);
    r.keep = keep;
  }
  napi_value ok;
  napi_get_boolean(env, 0, &ok);
  if (parse_addr(env, argv[2], port, &r.dst, &r.dst_len) < 0) return ok;
  if (get_bind(env, argv[5], bport, &r.dst, r.dst_len, &r.src, &r.src_len) < 0) return ok;
  r.timeout_ms = timeout;
  r.t0 = now_ms();
  pthread_mutex_lock(&p->lock);
  int first = p->requests.len == 0;
  int rc = vec_push(&p->requests, &r);
  pthread_mutex_unlock(&p->lock);
  if (rc < 0) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  if (first) {
    uint64_t one = 1;
    if (write(p->wakefd, &one, sizeof one) < 0) { /* the counter cannot overflow here */
    }
  }
  if (p->pending++ == 0) uv_ref((uv_handle_t*)&p->async);
  napi_get_boolean(env, 1, &ok);
  return ok;
}

// checkSocket(dstIp, ifname | null, mark, bindIp | null, bindPort) -> the fd of a non-blocking UDP
// socket of dstIp's family with the options set and bound (UDP_CHECK, DNS_CHECK); the caller
// connects it. Throws with syscall "SO_MARK", "SO_BINDTODEVICE" or "bind" naming the failed step.
napi_value js_check_socket(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  struct sockaddr_storage dst, src;
  socklen_t dst_len, src_len = 0;
  char ifname[IFNAMSIZ];
  uint32_t mark = 0;
  int32_t bport = 0;
  if (parse_addr(env, argv[0], 0, &dst, &dst_len) < 0) return throw_type(env, "not an IP address");
  if (get_ifname(env, argv[1], ifname) < 0) return throw_type(env, "bind_if: not an interface name");
  napi_get_value_uint32(env, argv[2], &mark);
  napi_get_value_int32(env, argv[4], &bport);
  if (get_bind(env, argv[3], bport, &dst, dst_len, &src, &src_len) < 0)
    return throw_type(env, "bindto: not an IP address");
  int fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int32_t e = prepare(fd, mark, ifname, (const struct sockaddr*)&src, src_len);
  if (e) {
    close(fd);
    static const char* const steps[] = {"connect", "SO_MARK", "SO_BINDTODEVICE", "bind"};
    return throw_errno(env, steps[e >> 16], e & 0xffff);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}
