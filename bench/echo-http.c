/*
 * echo-http: the HAProxy comparison's backend.  A libevent evhttp server
 * on -l host:port that answers any request with its body (200,
 * text/plain): one process, one event loop, keep-alive, the body moved
 * buffer to buffer -- about what a persistent handler costs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static void
echo_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	struct evbuffer	*out = evhttp_request_get_output_buffer(req);

	evbuffer_add_buffer(out, in);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void
usage(void)
{
	fprintf(stderr, "usage: echo-http -l host:port\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct event_base	*base;
	struct evhttp		*http;
	char			*listen = NULL, *colon;
	int			 ch, port;

	while ((ch = getopt(argc, argv, "l:")) != -1) {
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		default:
			usage();
		}
	}
	if (listen == NULL || (colon = strrchr(listen, ':')) == NULL)
		usage();
	*colon = '\0';
	port = atoi(colon + 1);
	if (port <= 0 || port > 65535)
		usage();
	if ((base = event_base_new()) == NULL ||
	    (http = evhttp_new(base)) == NULL)
		return 1;
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(http, echo_cb, NULL);
	if (evhttp_bind_socket(http, listen, port) == -1) {
		fprintf(stderr, "echo-http: cannot listen on %s:%d\n",
		    listen, port);
		return 1;
	}
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
