/*
 * bank.c: baltic-bank, a small HTTP service standing in for the seed's
 * remote payment service (the bank outside the farm).  It answers
 * `POST /IPayment/Authorize` with "authorized:<order>" and counts calls.
 *
 *   baltic-bank [-l ADDR:PORT] [-d DELAY_MS] [-f FAIL_EVERY]
 *
 * -d delays every answer; -f N answers every Nth call with HTTP 500:
 * both for tests of remote failures and timeouts.
 */
#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bank {
	struct event_base	*base;
	unsigned		 delay_ms;
	unsigned long		 fail_every;
	unsigned long		 calls;
};

struct answer {
	struct evhttp_request	*req;
	struct evbuffer		*body;
	int			 code;
};

static void
answer_send(evutil_socket_t fd, short ev, void *arg)
{
	struct answer	*a = arg;

	evhttp_send_reply(a->req, a->code, a->code == 200 ? "OK" : "Error",
	    a->body);
	evbuffer_free(a->body);
	free(a);
}

static void
bank_authorize(struct evhttp_request *req, void *arg)
{
	struct bank	*b = arg;
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	struct answer	*a;
	struct timeval	 tv;
	size_t		 len = evbuffer_get_length(in);

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_send_error(req, 405, "POST only");
		return;
	}
	if ((a = calloc(1, sizeof *a)) == NULL ||
	    (a->body = evbuffer_new()) == NULL) {
		free(a);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	a->req = req;
	b->calls++;
	if (b->fail_every > 0 && b->calls % b->fail_every == 0) {
		a->code = 500;
		evbuffer_add_printf(a->body, "card declined (call %lu)",
		    b->calls);
	} else {
		a->code = 200;
		evbuffer_add_printf(a->body, "authorized:");
		evbuffer_add_buffer(a->body, in);
	}
	(void)len;
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	tv.tv_sec = b->delay_ms / 1000;
	tv.tv_usec = (b->delay_ms % 1000) * 1000;
	if (b->delay_ms == 0)
		answer_send(-1, 0, a);
	else
		event_base_once(b->base, -1, EV_TIMEOUT, answer_send, a, &tv);
}

static void
bank_stats(struct evhttp_request *req, void *arg)
{
	struct bank	*b = arg;
	struct evbuffer	*out = evbuffer_new();

	evbuffer_add_printf(out, "%lu\n", b->calls);
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

int
main(int argc, char **argv)
{
	struct bank	 b;
	struct evhttp	*http;
	char		*addr = strdup("127.0.0.1:9090"), *colon;
	int		 ch, port;

	memset(&b, 0, sizeof b);
	while ((ch = getopt(argc, argv, "d:f:l:")) != -1) {
		switch (ch) {
		case 'd':
			b.delay_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			b.fail_every = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			free(addr);
			addr = strdup(optarg);
			break;
		default:
			fprintf(stderr, "usage: baltic-bank [-l ADDR:PORT] "
			    "[-d DELAY_MS] [-f FAIL_EVERY]\n");
			return 2;
		}
	}
	if ((colon = strrchr(addr, ':')) == NULL) {
		fprintf(stderr, "baltic-bank: %s: expected ADDR:PORT\n", addr);
		return 2;
	}
	*colon = '\0';
	port = atoi(colon + 1);
	signal(SIGPIPE, SIG_IGN);
	b.base = event_base_new();
	http = evhttp_new(b.base);
	evhttp_set_cb(http, "/IPayment/Authorize", bank_authorize, &b);
	evhttp_set_cb(http, "/stats", bank_stats, &b);
	if (evhttp_bind_socket(http, addr, (unsigned short)port) == -1) {
		fprintf(stderr, "baltic-bank: cannot listen on %s:%d\n", addr,
		    port);
		return 1;
	}
	event_base_dispatch(b.base);
	evhttp_free(http);
	event_base_free(b.base);
	free(addr);
	return 0;
}
