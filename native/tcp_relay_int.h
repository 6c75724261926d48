// The TCP relay's internals shared by its two halves: tcp_relay.c (threads, accept, connect,
// events to JavaScript, the N-API entry points) and tcp_relay_pump.c (one connection's bytes,
// FINs and close).
#pragma once
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <node_api.h>
#include <uv.h>

#include "napi_util.h"

#define CHUNK (64 * 1024)
#define MAX_THREADS 64
#define SLOT_BITS 20
#define TAG_WAKE 1
#define TAG_LISTEN 2
#define TAG_CLIENT 3
#define TAG_UPSTREAM 4

// Events to JavaScript, in the order they happened on each connection.
enum { EV_ACCEPT = 1, EV_ESTABLISHED = 2, EV_FIN = 3, EV_CLOSED = 4, EV_PROGRESS = 5 };
// Commands to a relay thread.
enum { CMD_CONNECT = 1, CMD_REJECT, CMD_KILL, CMD_LISTEN, CMD_UNLISTEN };
// A connection's phase: waiting for JavaScript's choice, connecting to the real server,
// established, or past the first FIN.
enum { PH_FREE = 0, PH_WAIT, PH_CONNECTING, PH_ESTABLISHED, PH_FIN };

typedef struct {
  int type;
  uint64_t id;
  int fd;  // listener fd for CMD_LISTEN / CMD_UNLISTEN
  uint32_t listener;
  int tcp_ms, fin_ms;
  struct sockaddr_storage dst;
  socklen_t dst_len;
} cmd_t;

typedef struct {
  int type;
  uint64_t id;
  uint32_t listener;  // EV_ACCEPT
  int port;           // EV_ACCEPT: client port; EV_CLOSED: errno or 0
  double in_b, out_b, in_p, out_p;
  char addr[INET6_ADDRSTRLEN];  // EV_ACCEPT
} event_t;

// One direction's unsent bytes, toward the socket it is named for.
typedef struct {
  char* buf;
  size_t len, off;
} pending_t;

typedef struct {
  uint64_t id;  // 0: free
  int phase;
  int cfd, ufd;
  uint32_t cev, uev;    // interest registered for each fd; NOT_IN_SET before it joins the set
  int c_eof, u_eof;     // EOF read from that side
  int c_shut, u_shut;   // FIN sent toward that side
  int c_gone, u_gone;   // taken out of the epoll set: nothing more to read or write there
  pending_t to_c, to_u;
  uint64_t in_b, out_b, in_p, out_p;  // client->server, server->client
  uint64_t rep_in_b, rep_out_b;       // last reported
  double last, fin_at;
  int tcp_ms, fin_ms;
  uint32_t next_free;
} conn_t;

typedef struct relay relay_t;

typedef struct {
  relay_t* relay;
  int index;
  pthread_t thread;
  int epfd, wakefd;
  pthread_mutex_t lock;
  vec_t cmds;  // under lock
  vec_t out;   // events of this round, published at its end
  conn_t* conns;
  uint32_t nconns, free_head;  // free list through next_free; UINT32_MAX ends it
  uint32_t gen;
  double lazy_at;  // when events published without a wake-up must reach JavaScript; 0: none
  char scratch[CHUNK];
} worker_t;

struct relay {
  uv_async_t async;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  pthread_mutex_t lock;
  vec_t events;  // under lock
  int woken;     // under lock: a wake-up of the loop thread is on its way
  int nthreads;
  worker_t* workers[MAX_THREADS];
  uint64_t buffered;  // bytes held across all pending_t (atomic)
  int stopping;       // atomic: the process is exiting, the threads must end
};

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// An event joins this round's batch; tcp_relay.c publishes the batch at the end of the round.
static inline void emit(worker_t* w, const event_t* e) { vec_push(&w->out, e); }

static inline uint32_t slot_of(uint64_t id) { return (uint32_t)((id >> 6) & ((1u << SLOT_BITS) - 1)); }

// An fd's epoll tag: kind, slot, and the low bits of the connection's generation, so an event
// fetched for a connection that closed earlier in the same batch never acts on a new one that
// took its slot.
static inline uint64_t tag_of(const conn_t* c, int kind) {
  uint64_t gen = (c->id >> (SLOT_BITS + 6)) & 0xffffff;
  return (gen << 40) | ((uint64_t)slot_of(c->id) << 8) | (uint64_t)kind;
}

// Interest not registered yet: the fd is not in the epoll set.
#define NOT_IN_SET UINT32_MAX

// tcp_relay_pump.c
void conn_close(worker_t* w, conn_t* c, int reset, int err, int report);
int conn_settle(worker_t* w, conn_t* c);
int conn_flush(worker_t* w, conn_t* c, int fd, pending_t* to);
int conn_pump(worker_t* w, conn_t* c, int from_client);
void conn_established(worker_t* w, conn_t* c);
