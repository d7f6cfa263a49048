/*
 * obs-http.c: GET /metrics for Prometheus, with libevent's evhttp on
 * balticd's loop, at the address of `balticd --metrics ADDR` or
 * BALTIC_METRICS; off unless asked for, and on loopback only.  A
 * request is read by evhttp within small limits (no body, small
 * headers, a timeout); anything but GET or HEAD of /metrics is refused.
 */
#include <event2/buffer.h>
#include <event2/http.h>

#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/obs/obs-prom.h"
#include "farm/farm.h"
#include "log.h"
#include "util/util.h"

#define OBS_HTTP_HEADERS_MAX	8192
#define OBS_HTTP_TIMEOUT_S	10

/* GET and HEAD only: a method the endpoint knows but does not allow is
 * answered 405 with Allow, as HTTP asks (evhttp itself would say 501). */
static int
obs_http_method_ok(struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) & (EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD))
		return 1;
	/* evhttp_send_error would drop the Allow header. */
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    "GET, HEAD");
	evhttp_send_reply(req, 405, "Method Not Allowed", NULL);
	return 0;
}

static void
obs_http_metrics(struct evhttp_request *req, void *arg)
{
	struct daemon	*d = arg;
	struct evbuffer	*b;

	if (!obs_http_method_ok(req))
		return;
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	obs_prom_write(d, b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", OBS_PROM_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void
obs_http_other(struct evhttp_request *req, void *arg)
{
	if (!obs_http_method_ok(req))
		return;
	evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics is here");
}

int
obs_http_addr_check(const char *addr, char **host_r, unsigned *port_r,
    char **err_r)
{
	const char	*why = NULL;

	*host_r = NULL;
	if (farm_parse_addr(addr, host_r, port_r, &why) == -1)
		return errf(err_r, "metrics address %s: %s (HOST:PORT "
		    "expected)", addr, why != NULL ? why : "bad address");
	if (farm_addr_loopback(addr) != 1) {
		free(*host_r);
		*host_r = NULL;
		return errf(err_r, "metrics address %s: not a loopback address: "
		    "the figures are for this host's Prometheus "
		    "(127.0.0.1:PORT or [::1]:PORT)", addr);
	}
	return 0;
}

int
obs_http_listen(struct daemon *d, const char *addr, char **err_r)
{
	char		*host = NULL;
	unsigned	 port = 0;
	int		 rc = -1;

	if (obs_http_addr_check(addr, &host, &port, err_r) == -1)
		goto out;
	if ((d->metrics = evhttp_new(d->base)) == NULL) {
		errf(err_r, "metrics: out of memory");
		goto out;
	}
	evhttp_set_allowed_methods(d->metrics, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(d->metrics, OBS_HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(d->metrics, 0);
	evhttp_set_timeout(d->metrics, OBS_HTTP_TIMEOUT_S);
	evhttp_set_cb(d->metrics, "/metrics", obs_http_metrics, d);
	evhttp_set_gencb(d->metrics, obs_http_other, d);
	if (evhttp_bind_socket(d->metrics, host, (uint16_t)port) == -1) {
		errf(err_r, "metrics address %s: cannot listen there (in use?)",
		    addr);
		obs_http_close(d);
		goto out;
	}
	log_info("metrics for Prometheus at http://%s/metrics", addr);
	rc = 0;
out:
	free(host);
	return rc;
}

void
obs_http_close(struct daemon *d)
{
	if (d->metrics != NULL)
		evhttp_free(d->metrics);
	d->metrics = NULL;
}
