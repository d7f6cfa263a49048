/*
 * obs-prom.h: the counters as Prometheus reads them (obs-prom.c), and
 * the address balticd serves them at (obs-http.c).
 */
#ifndef BALTIC_OBS_PROM_H
#define BALTIC_OBS_PROM_H

struct daemon;
struct evbuffer;

/* Prometheus' text format: the content type, and every metric of every
 * farm of d appended to b. */
#define OBS_PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
void	obs_prom_write(struct daemon *, struct evbuffer *);

/*
 * Serve GET /metrics at addr, "HOST:PORT" with HOST a loopback address
 * (127.0.0.0/8, or ::1 in brackets: [::1]:PORT) or "localhost": the
 * figures are for this host's Prometheus, not for the network.  0, or
 * -1 with *err_r (caller frees) saying what is wrong with addr.
 */
int	obs_http_listen(struct daemon *, const char *addr, char **err_r);
/* The same check of addr alone, before the loop is made: 0 with its
 * host (caller frees) and port, or -1 with *err_r. */
int	obs_http_addr_check(const char *addr, char **host_r, unsigned *port_r,
	    char **err_r);
void	obs_http_close(struct daemon *);

#endif /* BALTIC_OBS_PROM_H */
