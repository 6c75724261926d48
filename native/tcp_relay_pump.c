// The TCP relay's byte pump: one connection's bytes from each side to the other, the unsent
// remainder kept per direction (back-pressure: its source is not read until it is written), FINs
// passed on once the bytes before them are (half-close), and the close, with a reset when one
// side failed. Runs on the connection's relay thread only.
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcp_relay_int.h"

static void set_interest(worker_t* w, int fd, uint32_t* have, uint32_t want, uint64_t tag) {
  if (fd < 0 || *have == want) return;
  struct epoll_event ev = {.events = want, .data.u64 = tag};
  epoll_ctl(w->epfd, *have == NOT_IN_SET ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
  *have = want;
}

// What each fd must wait for, from the connection's state: read a side only while the other
// direction has nothing unsent, write where bytes wait (or the connect completes).
static void update(worker_t* w, conn_t* c) {
  uint32_t cw = 0, uw = 0;
  int open = c->phase == PH_ESTABLISHED || c->phase == PH_FIN;
  if (open && !c->c_eof && c->to_u.len == 0) cw |= EPOLLIN;
  if (open && !c->u_eof && c->to_c.len == 0) uw |= EPOLLIN;
  if (c->to_c.len) cw |= EPOLLOUT;
  if (c->to_u.len || c->phase == PH_CONNECTING) uw |= EPOLLOUT;
  // A side read to its end and shut toward is done with; left in the set, its hang-up (which
  // no interest mask hides) would wake the thread until the other side finishes.
  if (c->c_eof && c->c_shut && !c->c_gone) {
    if (c->cev != NOT_IN_SET) epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->cfd, NULL);
    c->c_gone = 1;
  }
  if (c->u_eof && c->u_shut && !c->u_gone) {
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->ufd, NULL);
    c->u_gone = 1;
  }
  if (!c->c_gone) set_interest(w, c->cfd, &c->cev, cw, tag_of(c, TAG_CLIENT));
  if (!c->u_gone) set_interest(w, c->ufd, &c->uev, uw, tag_of(c, TAG_UPSTREAM));
}

static void pending_free(relay_t* r, pending_t* p) {
  if (p->buf) __atomic_sub_fetch(&r->buffered, p->len, __ATOMIC_RELAXED);
  free(p->buf);
  *p = (pending_t){0};
}

// Closes both sides; `reset` closes them with a RST (linger 0), as an error on one side must
// reach the other. Reports the final counters.
void conn_close(worker_t* w, conn_t* c, int reset, int err, int report) {
  struct linger l = {.l_onoff = 1, .l_linger = 0};
  int fds[2] = {c->cfd, c->ufd};
  for (int i = 0; i < 2; i++) {
    if (fds[i] < 0) continue;
    if (reset) setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fds[i]);  // also leaves the epoll set: the fd is never duplicated
  }
  pending_free(w->relay, &c->to_c);
  pending_free(w->relay, &c->to_u);
  if (report) {
    event_t e = {.type = EV_CLOSED, .id = c->id, .port = err};
    e.in_b = (double)(c->in_b - c->rep_in_b);
    e.out_b = (double)(c->out_b - c->rep_out_b);
    e.in_p = (double)c->in_p;
    e.out_p = (double)c->out_p;
    emit(w, &e);
  }
  uint32_t slot = slot_of(c->id);
  c->id = 0;
  c->phase = PH_FREE;
  c->next_free = w->free_head;
  w->free_head = slot;
}

static void fin_seen(worker_t* w, conn_t* c) {
  if (c->phase == PH_FIN) return;
  c->phase = PH_FIN;
  c->fin_at = now_s();
  event_t e = {.type = EV_FIN, .id = c->id};
  emit(w, &e);
}

// Passes a FIN on once everything before it was written; closes when both directions are done.
// The last FIN goes with close(): both sockets were read to their end, so close sends a FIN, not
// a reset (one shutdown less per connection). Returns 0 when the connection was closed.
int conn_settle(worker_t* w, conn_t* c) {
  if (c->c_eof && c->u_eof && c->to_u.len == 0 && c->to_c.len == 0) {
    conn_close(w, c, 0, 0, 1);
    return 0;
  }
  if (c->c_eof && !c->u_shut && c->to_u.len == 0) {
    shutdown(c->ufd, SHUT_WR);
    c->u_shut = 1;
  }
  if (c->u_eof && !c->c_shut && c->to_c.len == 0) {
    shutdown(c->cfd, SHUT_WR);
    c->c_shut = 1;
  }
  update(w, c);
  return 1;
}

// Writes what `to` holds; 1 done or blocked, 0 on error (connection reset and closed).
int conn_flush(worker_t* w, conn_t* c, int fd, pending_t* to) {
  while (to->len) {
    ssize_t n = send(fd, to->buf + to->off, to->len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return 1;
      conn_close(w, c, 1, errno, 1);
      return 0;
    }
    to->off += (size_t)n;
    to->len -= (size_t)n;
    __atomic_sub_fetch(&w->relay->buffered, (size_t)n, __ATOMIC_RELAXED);
  }
  free(to->buf);
  *to = (pending_t){0};
  return 1;
}

// Moves bytes from one side to the other: a few reads per wake, each written straight on; what
// the destination does not take is kept and reading this side stops until it is written.
int conn_pump(worker_t* w, conn_t* c, int from_client) {
  int src = from_client ? c->cfd : c->ufd, dst = from_client ? c->ufd : c->cfd;
  pending_t* to = from_client ? &c->to_u : &c->to_c;
  for (int round = 0; round < 4 && to->len == 0; round++) {
    ssize_t n = recv(src, w->scratch, CHUNK, 0);
    if (n == 0) {
      if (from_client) c->c_eof = 1;
      else c->u_eof = 1;
      fin_seen(w, c);
      return conn_settle(w, c);
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      conn_close(w, c, 1, errno, 1);
      return 0;
    }
    c->last = now_s();
    if (from_client) {
      c->in_b += (uint64_t)n;
      c->in_p++;
    } else {
      c->out_b += (uint64_t)n;
      c->out_p++;
    }
    ssize_t m = send(dst, w->scratch, (size_t)n, MSG_NOSIGNAL);
    if (m < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        conn_close(w, c, 1, errno, 1);
        return 0;
      }
      m = 0;
    }
    if (m < n) {
      size_t left = (size_t)(n - m);
      to->buf = malloc(left);
      if (!to->buf) {
        conn_close(w, c, 1, ENOMEM, 1);
        return 0;
      }
      memcpy(to->buf, w->scratch + m, left);
      to->len = left;
      to->off = 0;
      __atomic_add_fetch(&w->relay->buffered, left, __ATOMIC_RELAXED);
    }
    if (n < CHUNK) break;
  }
  update(w, c);
  return 1;
}

// The client's first bytes have usually arrived while its server was chosen and connected: read
// them now rather than after another epoll round (pump registers the client fd either way).
void conn_established(worker_t* w, conn_t* c) {
  c->phase = PH_ESTABLISHED;
  c->last = now_s();
  event_t e = {.type = EV_ESTABLISHED, .id = c->id};
  emit(w, &e);
  conn_pump(w, c, 1);
}
