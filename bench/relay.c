/*
 * relay: the stand-in for a guest's agent in bench/scale.sh's second
 * yardstick (HAProxy -> relay -> echo-http).  It accepts on -l host:port
 * and carries each connection's bytes, both ways, over a connection of
 * its own to -t host:port: one more process on a request's path, woken
 * twice per request (the request in, its answer back), as an agent is
 * between balticd and its persistent handler.  One event loop, the bytes
 * moved buffer to buffer.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

static struct sockaddr_storage	 target;
static int			 targetlen = sizeof target;

static void
nodelay(struct bufferevent *bev)
{
	int	one = 1;

	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof one);
}

/* Whatever came in on bev goes out on its peer. */
static void
relay_read(struct bufferevent *bev, void *arg)
{
	struct bufferevent	*peer = arg;

	evbuffer_add_buffer(bufferevent_get_output(peer),
	    bufferevent_get_input(bev));
}

/* Either side closed or failed: both go. */
static void
relay_event(struct bufferevent *bev, short what, void *arg)
{
	struct bufferevent	*peer = arg;

	if (what & BEV_EVENT_CONNECTED) {
		nodelay(bev);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		bufferevent_free(peer);
		bufferevent_free(bev);
	}
}

static void
relay_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct event_base	*base = arg;
	struct bufferevent	*in, *out;

	(void)l;
	(void)sa;
	(void)salen;
	in = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	out = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (in == NULL || out == NULL ||
	    bufferevent_socket_connect(out, (struct sockaddr *)&target,
	    targetlen) == -1) {
		if (out != NULL)
			bufferevent_free(out);
		if (in != NULL)
			bufferevent_free(in);
		else
			evutil_closesocket(fd);
		return;
	}
	nodelay(in);
	bufferevent_setcb(in, relay_read, NULL, relay_event, out);
	bufferevent_setcb(out, relay_read, NULL, relay_event, in);
	bufferevent_enable(in, EV_READ | EV_WRITE);
	bufferevent_enable(out, EV_READ | EV_WRITE);
}

static void
usage(void)
{
	fprintf(stderr, "usage: relay -l host:port -t host:port\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct event_base	*base;
	struct evconnlistener	*l;
	struct sockaddr_storage	 ls;
	int			 lslen = sizeof ls, ch;
	const char		*lopt = NULL, *topt = NULL;

	while ((ch = getopt(argc, argv, "l:t:")) != -1) {
		switch (ch) {
		case 'l':
			lopt = optarg;
			break;
		case 't':
			topt = optarg;
			break;
		default:
			usage();
		}
	}
	if (lopt == NULL || topt == NULL ||
	    evutil_parse_sockaddr_port(lopt, (struct sockaddr *)&ls,
	    &lslen) == -1 ||
	    evutil_parse_sockaddr_port(topt, (struct sockaddr *)&target,
	    &targetlen) == -1)
		usage();
	if ((base = event_base_new()) == NULL)
		return 1;
	l = evconnlistener_new_bind(base, relay_accept, base,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
	    (struct sockaddr *)&ls, lslen);
	if (l == NULL) {
		fprintf(stderr, "relay: cannot listen on %s\n", lopt);
		return 1;
	}
	event_base_dispatch(base);
	evconnlistener_free(l);
	event_base_free(base);
	return 0;
}
