// The user-space engine's TCP relay: listening sockets, accepted connections, the connections to
// the real servers, and the bytes between them, on relay threads with an epoll loop each. A
// net.Socket pair per connection cost Node ~300 µs of CPU per new connection, 1.6× HAProxy's
// whole cost (bench/lb.ts); here the event loop only schedules: each accepted connection reaches
// JavaScript in a batch (id, listener, client address), JavaScript picks the real server with the
// service's scheduler and answers with one call, and the thread does the rest. Back-pressure: a
// direction whose write would block keeps the unsent bytes (at most one read, 64 KiB) and stops
// reading its source until they are written. A FIN is passed on once the bytes before it are
// (half-close); an error or reset on either side resets both.
#define _GNU_SOURCE
//
// This file: the relay threads and their epoll loops, accept and connect, the commands from
// JavaScript and the events to it, the N-API entry points. tcp_relay_pump.c moves the bytes of an
// established connection and closes it; tcp_relay_int.h holds what both share.

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "tcp_relay.h"
#include "tcp_relay_int.h"

// Events collect per thread and go to the loop thread once per epoll round (publish): one lock
// per round. Only an accepted connection needs JavaScript at once (to choose its server); the
// other events (established, FIN, closed, progress) wait up to LAZY_MS for one, so a connection
// costs one wake-up of the loop thread instead of four. They stay in order before any accept
// published after them, so the scheduler always sees every state change that came first.
#define LAZY_MS 10

// Wakes the loop thread unless a wake-up is already on its way. Under r->lock.
static void wake_locked(relay_t* r) {
  if (r->woken || r->events.len == 0) return;
  r->woken = 1;
  uv_async_send(&r->async);
}

static void publish(worker_t* w) {
  if (w->out.len == 0) return;
  relay_t* r = w->relay;
  int urgent = 0;
  pthread_mutex_lock(&r->lock);
  for (size_t i = 0; i < w->out.len; i++) {
    event_t* e = (event_t*)w->out.items + i;
    urgent |= e->type == EV_ACCEPT;
    vec_push(&r->events, e);
  }
  if (urgent) wake_locked(r);
  pthread_mutex_unlock(&r->lock);
  w->out.len = 0;
  // A wake-up carries everything queued, this thread's deferred events too.
  if (urgent) w->lazy_at = 0;
  else if (w->lazy_at == 0) w->lazy_at = now_s() + LAZY_MS / 1e3;
}

// Delivers this thread's deferred events once LAZY_MS have passed (someone else's accept may
// have carried them already); returns the ms until then, or -1 when nothing waits.
static int lazy_due(worker_t* w) {
  if (w->lazy_at == 0) return -1;
  double left = w->lazy_at - now_s();
  if (left > 0) return (int)(left * 1e3) + 1;
  relay_t* r = w->relay;
  pthread_mutex_lock(&r->lock);
  wake_locked(r);
  pthread_mutex_unlock(&r->lock);
  w->lazy_at = 0;
  return -1;
}

static conn_t* conn_new(worker_t* w) {
  if (w->free_head == UINT32_MAX) {
    uint32_t n = w->nconns ? w->nconns * 2 : 1024;
    if (n > (1u << SLOT_BITS)) return NULL;
    conn_t* c = realloc(w->conns, n * sizeof *c);
    if (!c) return NULL;
    for (uint32_t i = w->nconns; i < n; i++) {
      memset(&c[i], 0, sizeof c[i]);
      c[i].next_free = i + 1 < n ? i + 1 : UINT32_MAX;
    }
    w->free_head = w->nconns;
    w->conns = c;
    w->nconns = n;
  }
  uint32_t slot = w->free_head;
  conn_t* c = &w->conns[slot];
  w->free_head = c->next_free;
  uint32_t next = c->next_free;
  memset(c, 0, sizeof *c);
  c->next_free = next;
  w->gen = (w->gen + 1) & ((1u << 26) - 1);
  if (w->gen == 0) w->gen = 1;
  c->id = ((uint64_t)w->gen << (SLOT_BITS + 6)) | ((uint64_t)slot << 6) | (uint64_t)w->index;
  c->cfd = c->ufd = -1;
  c->last = now_s();
  return c;
}

static conn_t* conn_find(worker_t* w, uint64_t id) {
  uint32_t slot = slot_of(id);
  if (slot >= w->nconns || w->conns[slot].id != id) return NULL;
  return &w->conns[slot];
}

static void do_connect(worker_t* w, const cmd_t* m) {
  conn_t* c = conn_find(w, m->id);
  if (!c || c->phase != PH_WAIT) return;  // the client went away meanwhile
  c->tcp_ms = m->tcp_ms;
  c->fin_ms = m->fin_ms;
  int fd = socket(m->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return conn_close(w, c, 1, errno, 1);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->ufd = fd;
  if (connect(fd, (const struct sockaddr*)&m->dst, m->dst_len) < 0 && errno != EINPROGRESS)
    return conn_close(w, c, 1, errno, 1);
  // Registered after connect: the completion (or failure) is reported as EPOLLOUT either way.
  c->phase = PH_CONNECTING;
  struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = tag_of(c, TAG_UPSTREAM)};
  if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) return conn_close(w, c, 1, errno, 1);
  c->uev = EPOLLOUT;
}

static void do_accept(worker_t* w, int lfd, uint32_t listener) {
  for (int i = 0; i < 64; i++) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept4(lfd, (struct sockaddr*)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN (another thread took it), or an aborted handshake
    conn_t* c = conn_new(w);
    if (!c) {
      close(fd);
      continue;
    }
    c->cfd = fd;  // TCP_NODELAY comes from the listener
    c->cev = NOT_IN_SET;
    c->phase = PH_WAIT;
    // Out of the epoll set until its server is connected (one epoll_ctl less): a client that
    // resets or hangs up meanwhile is seen by the first read after, which passes it on.
    event_t e = {.type = EV_ACCEPT, .id = c->id, .listener = listener};
    if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6* a = (struct sockaddr_in6*)&ss;
      if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], e.addr, sizeof e.addr);
      else inet_ntop(AF_INET6, &a->sin6_addr, e.addr, sizeof e.addr);
      e.port = ntohs(a->sin6_port);
    } else {
      struct sockaddr_in* a = (struct sockaddr_in*)&ss;
      inet_ntop(AF_INET, &a->sin_addr, e.addr, sizeof e.addr);
      e.port = ntohs(a->sin_port);
    }
    emit(w, &e);
  }
}

// Listener fds are shared by every thread (EPOLLEXCLUSIVE wakes one); the last thread to drop
// one closes it, so no thread can accept on a number the kernel has reused.
typedef struct {
  int fd;
  int refs;
} listen_ref_t;

static void do_command(worker_t* w, const cmd_t* m) {
  switch (m->type) {
    case CMD_CONNECT:
      return do_connect(w, m);
    case CMD_REJECT: {
      conn_t* c = conn_find(w, m->id);
      if (c) conn_close(w, c, 1, 0, 0);
      return;
    }
    case CMD_KILL: {
      conn_t* c = conn_find(w, m->id);
      if (c) conn_close(w, c, 0, 0, 1);
      return;
    }
    case CMD_LISTEN: {
      struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
                               .data.u64 = ((uint64_t)m->fd << 32) | ((uint64_t)(m->listener & 0xffffff) << 8) | TAG_LISTEN};
      epoll_ctl(w->epfd, EPOLL_CTL_ADD, m->fd, &ev);
      return;
    }
    case CMD_UNLISTEN: {
      epoll_ctl(w->epfd, EPOLL_CTL_DEL, m->fd, NULL);
      listen_ref_t* ref = (listen_ref_t*)(uintptr_t)m->id;
      if (__atomic_sub_fetch(&ref->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        close(ref->fd);
        free(ref);
      }
      return;
    }
  }
}

// Once a second: counters of busy connections to JavaScript, idle and FIN timeouts.
static void tick(worker_t* w) {
  double now = now_s();
  for (uint32_t i = 0; i < w->nconns; i++) {
    conn_t* c = &w->conns[i];
    if (c->phase == PH_FREE || c->phase == PH_WAIT) continue;
    if ((c->phase == PH_FIN && c->fin_ms > 0 && (now - c->fin_at) * 1e3 >= c->fin_ms) ||
        (c->tcp_ms > 0 && (now - c->last) * 1e3 >= c->tcp_ms)) {
      conn_close(w, c, 0, 0, 1);
      continue;
    }
    if (c->in_b != c->rep_in_b || c->out_b != c->rep_out_b) {
      event_t e = {.type = EV_PROGRESS, .id = c->id};
      e.in_b = (double)(c->in_b - c->rep_in_b);
      e.out_b = (double)(c->out_b - c->rep_out_b);
      e.in_p = (double)c->in_p;
      e.out_p = (double)c->out_p;
      c->rep_in_b = c->in_b;
      c->rep_out_b = c->out_b;
      c->in_p = c->out_p = 0;
      emit(w, &e);
    }
  }
}

static void on_event(worker_t* w, uint64_t tag, uint32_t events) {
  int kind = (int)(tag & 0xff);
  uint32_t slot = (uint32_t)((tag >> 8) & ((1u << SLOT_BITS) - 1));
  if (slot >= w->nconns) return;
  conn_t* c = &w->conns[slot];
  if (c->phase == PH_FREE || tag_of(c, kind) != tag) return;  // closed earlier in this batch
  if (kind == TAG_UPSTREAM && c->phase == PH_CONNECTING) {
    // A failed connect always reports EPOLLERR: only then is its error worth a syscall.
    if (events & (EPOLLERR | EPOLLHUP)) {
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      return conn_close(w, c, 1, err ? err : ECONNRESET, 1);
    }
    if (!(events & EPOLLOUT)) return;
    return conn_established(w, c);
  }
  int client = kind == TAG_CLIENT;
  int fd = client ? c->cfd : c->ufd;
  pending_t* to = client ? &c->to_c : &c->to_u;
  if (events & EPOLLOUT) {
    if (!conn_flush(w, c, fd, to)) return;
    if (!conn_settle(w, c)) return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    if ((events & EPOLLERR) && !(events & EPOLLIN)) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      return conn_close(w, c, 1, err, 1);
    }
    if ((client && !c->c_eof) || (!client && !c->u_eof)) conn_pump(w, c, client);
  }
}

static void* run(void* arg) {
  worker_t* w = arg;
  struct epoll_event events[256];
  vec_t batch = {.size = sizeof(cmd_t)};
  double next_tick = now_s() + 1;
  for (;;) {
    int wait = (int)((next_tick - now_s()) * 1000) + 1;
    if (wait < 0) wait = 0;
    int lazy = lazy_due(w);
    if (lazy >= 0 && lazy < wait) wait = lazy;
    int n = epoll_wait(w->epfd, events, 256, wait);
    if (__atomic_load_n(&w->relay->stopping, __ATOMIC_ACQUIRE)) break;
    for (int i = 0; i < n; i++) {
      uint64_t tag = events[i].data.u64;
      int kind = (int)(tag & 0xff);
      if (kind == TAG_WAKE) {
        uint64_t v;
        if (read(w->wakefd, &v, sizeof v) < 0) { /* spurious: nothing to drain */
        }
        pthread_mutex_lock(&w->lock);
        vec_t t = w->cmds;
        w->cmds = batch;
        batch = t;
        pthread_mutex_unlock(&w->lock);
        for (size_t j = 0; j < batch.len; j++) do_command(w, (cmd_t*)batch.items + j);
        batch.len = 0;
      } else if (kind == TAG_LISTEN) {
        do_accept(w, (int)(tag >> 32), (uint32_t)((tag >> 8) & 0xffffff));
      } else {
        on_event(w, tag, events[i].events);
      }
    }
    if (now_s() >= next_tick) {
      tick(w);
      next_tick = now_s() + 1;
    }
    publish(w);
  }
  return NULL;
}

static void post(worker_t* w, const cmd_t* m) {
  pthread_mutex_lock(&w->lock);
  int first = w->cmds.len == 0;
  vec_push(&w->cmds, m);
  pthread_mutex_unlock(&w->lock);
  if (first) {
    uint64_t one = 1;
    if (write(w->wakefd, &one, sizeof one) < 0) { /* the counter cannot overflow here */
    }
  }
}

// On the loop thread: the events as one Float64Array of records
// [type, id, listener, port|errno, inBytes, outBytes, inPkts, outPkts] and the accepted clients'
// addresses in order.
#define REC 8
static void on_events(uv_async_t* h) {
  relay_t* r = h->data;
  pthread_mutex_lock(&r->lock);
  vec_t got = r->events;
  r->events = (vec_t){.size = sizeof(event_t)};
  r->woken = 0;
  pthread_mutex_unlock(&r->lock);
  if (got.len == 0) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    free(got.items);
    return;
  }
  napi_value buf, nums, addrs, args[2];
  void* data;
  napi_create_arraybuffer(env, got.len * REC * sizeof(double), &data, &buf);
  napi_create_array(env, &addrs);
  double* d = data;
  uint32_t na = 0;
  for (size_t i = 0; i < got.len; i++) {
    event_t* e = (event_t*)got.items + i;
    double* o = d + i * REC;
    o[0] = e->type;
    o[1] = (double)e->id;
    o[2] = e->listener;
    o[3] = e->port;
    o[4] = e->in_b;
    o[5] = e->out_b;
    o[6] = e->in_p;
    o[7] = e->out_p;
    if (e->type == EV_ACCEPT) {
      napi_value s;
      napi_create_string_utf8(env, e->addr, NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, addrs, na++, s);
    }
  }
  free(got.items);
  napi_create_typedarray(env, napi_float64_array, got.len * REC, buf, 0, &nums);
  args[0] = nums;
  args[1] = addrs;
  call_js(env, r->callback, r->context, 2, args);
  napi_close_handle_scope(env, scope);
}

static relay_t* get_relay(napi_env env, napi_value v) { return get_external(env, v, "TCP relay"); }

static int get_id(napi_env env, napi_value v, uint64_t* id) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0) {
    napi_throw_type_error(env, NULL, "expected a connection id");
    return 0;
  }
  *id = (uint64_t)d;
  return 1;
}

static worker_t* owner(relay_t* r, uint64_t id) {
  int t = (int)(id & 63);
  return t < r->nthreads ? r->workers[t] : NULL;
}

// relayStop(relay), on process exit: the threads end and the wake-up handle closes. Node's
// teardown runs the loop once more with the environment half gone; a pending wake-up delivered
// then crashed the process in on_events (napi_open_handle_scope). Cleanup hooks run too late.
napi_value js_relay_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  relay_t* r = get_relay(env, argv[0]);
  if (!r || __atomic_exchange_n(&r->stopping, 1, __ATOMIC_ACQ_REL)) return NULL;
  uint64_t one = 1;
  for (int i = 0; i < r->nthreads; i++)
    if (write(r->workers[i]->wakefd, &one, sizeof one) < 0) { /* the counter cannot overflow here */
    }
  for (int i = 0; i < r->nthreads; i++) pthread_join(r->workers[i]->thread, NULL);
  uv_close((uv_handle_t*)&r->async, NULL);
  return NULL;
}

// tcpRelay(threads, callback(records, addrs)) -> relay. Threads start here, in the calling
// thread's network namespace (where the real servers are connected from).
napi_value js_tcp_relay(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t threads;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &threads)) return NULL;
  if (threads < 1 || threads > MAX_THREADS) return throw_type(env, "relay threads out of range 1-64");
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  relay_t* r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, "calloc", ENOMEM);
  r->env = env;
  r->events.size = sizeof(event_t);
  pthread_mutex_init(&r->lock, NULL);
  napi_value name, resource;
  napi_create_string_utf8(env, "vigil:tcp-relay", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  if (napi_create_reference(env, argv[1], 1, &r->callback) != napi_ok ||
      napi_async_init(env, resource, name, &r->context) != napi_ok)
    return NULL;
  uv_async_init(loop, &r->async, on_events);
  r->async.data = r;
  uv_unref((uv_handle_t*)&r->async);
  for (int i = 0; i < threads; i++) {
    worker_t* w = calloc(1, sizeof *w);
    if (!w) return throw_errno(env, "calloc", ENOMEM);
    w->relay = r;
    w->index = i;
    w->free_head = UINT32_MAX;
    w->cmds.size = sizeof(cmd_t);
    w->out.size = sizeof(event_t);
    pthread_mutex_init(&w->lock, NULL);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_WAKE};
    if (w->epfd < 0 || w->wakefd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ev) < 0)
      return throw_errno(env, "epoll", errno);
    if (pthread_create(&w->thread, NULL, run, w) != 0) return throw_errno(env, "pthread_create", EAGAIN);
    r->workers[i] = w;
    r->nthreads = i + 1;
  }
  napi_value ext;
  napi_create_external(env, r, NULL, NULL, &ext);
  return ext;
}

// relayListen(relay, ip, port, backlog, listenerId) -> handle; throws the errno (EADDRNOTAVAIL,
// EADDRINUSE, ...) as Node's listen would.
napi_value js_relay_listen(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t port, backlog, lid;
  if (!get_args(env, info, 5, argv)) return NULL;
  relay_t* r = get_relay(env, argv[0]);
  if (!r || !get_i32(env, argv[2], &port) || !get_i32(env, argv[3], &backlog) || !get_i32(env, argv[4], &lid))
    return NULL;
  struct sockaddr_storage ss;
  socklen_t len;
  if (parse_addr(env, argv[1], port, &ss, &len) < 0) return throw_type(env, "expected an IP address");
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // inherited by accepted sockets
  if (bind(fd, (struct sockaddr*)&ss, len) < 0 || listen(fd, backlog) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "listen", e);
  }
  listen_ref_t* ref = malloc(sizeof *ref);
  if (!ref) {
    close(fd);
    return throw_errno(env, "malloc", ENOMEM);
  }
  ref->fd = fd;
  ref->refs = r->nthreads;
  cmd_t m = {.type = CMD_LISTEN, .fd = fd, .listener = (uint32_t)lid};
  for (int i = 0; i < r->nthreads; i++) post(r->workers[i], &m);
  napi_value ext;
  napi_create_external(env, ref, NULL, NULL, &ext);
  return ext;
}

// relayUnlisten(relay, handle): stops accepting; the fd closes once every thread dropped it.
napi_value js_relay_unlisten(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  relay_t* r = get_relay(env, argv[0]);
  void* ref = NULL;
  if (!r || napi_get_value_external(env, argv[1], &ref) != napi_ok || !ref)
    return throw_type(env, "expected a listener");
  cmd_t m = {.type = CMD_UNLISTEN, .id = (uint64_t)(uintptr_t)ref, .fd = ((listen_ref_t*)ref)->fd};
  for (int i = 0; i < r->nthreads; i++) post(r->workers[i], &m);
  return NULL;
}

// relayConnect(relay, id, ip, port, tcpTimeoutMs, finTimeoutMs) -> false when ip is not a literal.
napi_value js_relay_connect(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv)) return NULL;
  relay_t* r = get_relay(env, argv[0]);
  cmd_t m = {.type = CMD_CONNECT};
  int32_t port;
  if (!r || !get_id(env, argv[1], &m.id) || !get_i32(env, argv[3], &port) || !get_i32(env, argv[4], &m.tcp_ms) ||
      !get_i32(env, argv[5], &m.fin_ms))
    return NULL;
  napi_value ok;
  worker_t* w = owner(r, m.id);
  if (!w || parse_addr(env, argv[2], port, &m.dst, &m.dst_len) < 0) {
    napi_get_boolean(env, 0, &ok);
    return ok;
  }
  post(w, &m);
  napi_get_boolean(env, 1, &ok);
  return ok;
}

// relayEnd(relay, id, reset): reset refuses a connection still waiting for its server (no event
// follows); otherwise the connection is closed and its EV_CLOSED follows.
napi_value js_relay_end(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  relay_t* r = get_relay(env, argv[0]);
  cmd_t m = {0};
  bool reset = false;
  if (!r || !get_id(env, argv[1], &m.id)) return NULL;
  napi_get_value_bool(env, argv[2], &reset);
  m.type = reset ? CMD_REJECT : CMD_KILL;
  worker_t* w = owner(r, m.id);
  if (w) post(w, &m);
  return NULL;
}

// relayRef(relay, keepAlive): whether pending relay events keep the process running (while it
// listens or relays, as a net.Server would).
napi_value js_relay_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  relay_t* r = get_relay(env, argv[0]);
  bool keep = false;
  if (!r) return NULL;
  napi_get_value_bool(env, argv[1], &keep);
  if (keep) uv_ref((uv_handle_t*)&r->async);
  else uv_unref((uv_handle_t*)&r->async);
  return NULL;
}

// relayBuffered(relay) -> bytes held in user space by all connections (unsent remainders).
napi_value js_relay_buffered(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  relay_t* r = get_relay(env, argv[0]);
  if (!r) return NULL;
  napi_value v;
  napi_create_double(env, (double)__atomic_load_n(&r->buffered, __ATOMIC_RELAXED), &v);
  return v;
}
