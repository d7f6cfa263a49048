/*
 * cluster-image.c: a partition's state moves with it, when `baltic move`
 * takes it to another host and the backend's suspend image can be
 * restored there (a Xen domain: libxl's save stream, as `xl migrate`
 * sends it).  The host it leaves drains it (apply.c), suspends it to a
 * file and sends the file over the link in IMAGE frames (proto.h); the
 * host it goes to writes them to a file of its own and restores the
 * partition from it.  Calls to the partition wait on the target
 * meanwhile, within their deadlines.
 *
 * When no image can come (no link at the decision, the source's suspend
 * failed, the link went down, nothing came for IMAGE_IDLE_MS), the
 * target starts the partition afresh, as a move did before, and says
 * so in its log: one copy always runs, with or without its memory.
 *
 * The image is from another host: authenticated by the link's TLS, but
 * still checked here: only for a partition that waits for one from
 * that very host, in order, and no longer than its memory allows.
 */
#include <sys/queue.h>

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "chan.h"
#include "daemon/cluster-int.h"
#include "daemon/cluster.h"
#include "daemon/daemon.h"
#include "log.h"
#include "proto.h"
#include "util/util.h"

#define IMAGE_CHUNK		(256u * 1024)	/* bytes per DATA frame */
#define IMAGE_WINDOW		(1024u * 1024)	/* queued on the link, most:
						 * calls still pass between */
#define IMAGE_PACE_MS		5	/* the link is full: look again */
#define IMAGE_IDLE_MS		120000	/* target: nothing came (a
					 * domain's drain and suspend take
					 * seconds under emulation) */
#define IMAGE_SLACK_MB		64	/* over the memory: headers, the
					 * domain's config, libxl's records */

struct part_image {
	struct part	*p;		/* NULL: p went while suspending */
	struct daemon	*d;
	char		*host;		/* out: the target; in: the source */
	char		*farm, *name;	/* p's, for the frames */
	bool		 out;
	bool		 started;	/* out: the suspend began */
	bool		 restoring;	/* in: the backend restores it */
	char		*file;
	int		 fd;
	uint64_t	 off;		/* bytes sent, or written */
	uint64_t	 max;		/* in: the most it may be */
	uint64_t	 t0_ms;
	uint64_t	 last_ms;	/* in: the last frame */
	struct event	*ev;		/* out: pacing; in: the idle check */
};

/* What `baltic list` says of p while its image moves. */
static void
image_why(struct part *p, const char *what, const char *host)
{
	free(p->why);
	if (asprintf(&p->why, "%s host %s", what, host) == -1)
		p->why = NULL;
}

static struct part_image *
image_new(struct part *p, const char *host, bool out)
{
	struct daemon		*d = p->farm->d;
	struct part_image	*img;

	if ((img = calloc(1, sizeof *img)) == NULL ||
	    (img->host = strdup(host)) == NULL ||
	    (img->farm = strdup(p->farm->name)) == NULL ||
	    (img->name = strdup(p->name)) == NULL ||
	    asprintf(&img->file, "%s/%s-%s.%s", d->run_dir, p->farm->name,
	    p->name, out ? "move-out" : "move-in") == -1)
		fatal("%s", __func__);
	img->p = p;
	img->d = d;
	img->out = out;
	img->fd = -1;
	img->t0_ms = img->last_ms = now_us() / 1000;
	p->image = img;
	return img;
}

static void
image_free(struct part_image *img)
{
	if (img == NULL)
		return;
	if (img->p != NULL)
		img->p->image = NULL;
	if (img->ev != NULL)
		event_free(img->ev);
	if (img->fd != -1)
		close(img->fd);
	if (img->file != NULL)
		unlink(img->file);
	free(img->file);
	free(img->host);
	free(img->farm);
	free(img->name);
	free(img);
}

/* ---- the host it leaves ------------------------------------------------ */

bool
part_image_leaves(struct part *p, const char *host)
{
	struct daemon	*d = p->farm->d;
	struct chan	*c;
	const char	*why = "it does not run on the host it leaves";

	/* With no link, the target sees none either: it starts p afresh. */
	if (!d->backend->suspend_moves || (c = peer_chan(d, host)) == NULL)
		return false;
	if (p->domid < 0) {
		chan_send_image(c, p->farm->name, p->name, BALTIC_IMAGE_ABORT,
		    0, why, strlen(why));
		return false;
	}
	image_new(p, host, true);
	return true;
}

/* The source's end of it: p (if still here) is destroyed, as a drained
 * partition is; the image's file goes. */
static void
image_out_end(struct part_image *img)
{
	struct part	*p = img->p;
	struct daemon	*d = img->d;

	image_free(img);
	if (p != NULL) {
		d->backend->destroy(d->bctx, p, NULL, NULL);
		farm_run_save(p->farm);
	}
}

/* No image comes after all: the target starts the partition afresh. */
static void
image_out_abort(struct part_image *img, const char *why)
{
	struct chan	*c = peer_chan(img->d, img->host);

	log_warnx("%s: its image is not sent to host %s: %s; it starts "
	    "afresh there", img->name, img->host, why);
	if (c != NULL)
		chan_send_image(c, img->farm, img->name, BALTIC_IMAGE_ABORT, 0,
		    why, strlen(why));
	image_out_end(img);
}

/* Send what the link takes now; again in IMAGE_PACE_MS while there is
 * more. */
static void
image_pump(evutil_socket_t fd, short ev, void *arg)
{
	struct part_image	*img = arg;
	struct timeval		 tv = { 0, IMAGE_PACE_MS * 1000 };
	struct chan		*c = peer_chan(img->d, img->host);
	static uint8_t		 buf[IMAGE_CHUNK];
	ssize_t			 n;

	if (c == NULL) {
		log_warnx("%s: the link to host %s went down after %llu "
		    "bytes of its image; it starts afresh there", img->name,
		    img->host, (unsigned long long)img->off);
		image_out_end(img);
		return;
	}
	while (chan_out_pending(c) < IMAGE_WINDOW) {
		if ((n = read(img->fd, buf, sizeof buf)) == -1 &&
		    errno == EINTR)
			continue;
		if (n == -1) {
			image_out_abort(img, strerror(errno));
			return;
		}
		if (n == 0) {
			chan_send_image(c, img->farm, img->name,
			    BALTIC_IMAGE_END, img->off, NULL, 0);
			log_notice("%s: image sent to host %s: %llu KiB, "
			    "%llu ms after the drain", img->name, img->host,
			    (unsigned long long)img->off / 1024,
			    (unsigned long long)(now_us() / 1000 - img->t0_ms));
			image_out_end(img);
			return;
		}
		if (chan_send_image(c, img->farm, img->name, BALTIC_IMAGE_DATA,
		    img->off, buf, (size_t)n) == -1) {
			image_out_abort(img, "the link refused a frame");
			return;
		}
		img->off += (uint64_t)n;
	}
	evtimer_add(img->ev, &tv);
}

/* The backend's suspend ended: the domain is saved to the file and
 * gone (rc 0), or runs on here (-1). */
static void
image_suspended(void *arg, int rc, const char *err)
{
	struct part_image	*img = arg;

	if (rc == -1) {
		image_out_abort(img, err != NULL ? err : "suspend failed");
		return;
	}
	if (img->p == NULL) {
		image_out_abort(img, "the farm went during the suspend");
		return;
	}
	if ((img->fd = open(img->file, O_RDONLY | O_CLOEXEC)) == -1) {
		image_out_abort(img, strerror(errno));
		return;
	}
	if ((img->ev = evtimer_new(img->d->base, image_pump, img)) == NULL)
		fatal("%s", __func__);
	log_info("%s: suspended in %llu ms; its image goes to host %s",
	    img->name, (unsigned long long)(now_us() / 1000 - img->t0_ms),
	    img->host);
	image_pump(-1, 0, img);
}

void
part_image_send(struct part *p)
{
	struct part_image	*img = p->image;
	struct daemon		*d = p->farm->d;
	char			*err = NULL;

	if (img == NULL || !img->out || img->started)
		return;
	img->started = true;
	img->t0_ms = now_us() / 1000;
	if (d->backend->suspend(d->bctx, p, img->file, image_suspended, img,
	    &err) == -1) {
		image_out_abort(img, err != NULL ? err : "cannot suspend");
		free(err);
	}
}

/* ---- the host it goes to ----------------------------------------------- */

/* No image after all: p starts afresh, as a move without one does. */
static void
image_in_fresh(struct part_image *img, const char *why)
{
	struct part	*p = img->p;

	log_warnx("%s: no image from host %s (%s): started afresh",
	    img->name, img->host, why);
	if (p != NULL)
		image_why(p, "moved here, started afresh: no image from",
		    img->host);
	image_free(img);
	if (p != NULL)
		cluster_start_part(p);
}

/* Every second: the source is still there and still sending. */
static void
image_idle(evutil_socket_t fd, short ev, void *arg)
{
	struct part_image	*img = arg;
	struct timeval		 tv = { 1, 0 };

	if (peer_chan(img->d, img->host) == NULL) {
		image_in_fresh(img, "the link is down");
		return;
	}
	if (now_us() / 1000 - img->last_ms > IMAGE_IDLE_MS) {
		image_in_fresh(img, "nothing came for too long");
		return;
	}
	evtimer_add(img->ev, &tv);
}

bool
part_image_await(struct part *p, const char *host)
{
	struct daemon		*d = p->farm->d;
	struct part_image	*img;
	struct timeval		 tv = { 1, 0 };

	if (!d->backend->suspend_moves || host == NULL ||
	    strcmp(host, CLUSTER_NOWHERE) == 0 || peer_chan(d, host) == NULL)
		return false;
	img = image_new(p, host, false);
	img->max = ((uint64_t)p->inst->role->memory + IMAGE_SLACK_MB) << 20;
	if ((img->ev = evtimer_new(d->base, image_idle, img)) == NULL)
		fatal("%s", __func__);
	evtimer_add(img->ev, &tv);
	image_why(p, "moved here: waits for its image from", host);
	log_info("%s: moved here from host %s; waits for its image",
	    p->name, host);
	return true;
}

/* The whole image is here: restore p from it. */
static void
image_in_end(struct part_image *img)
{
	struct part	*p = img->p;
	struct daemon	*d = img->d;
	char		*err = NULL;

	close(img->fd);
	img->fd = -1;
	if (d->backend->restore(d->bctx, p, img->file, &err) == -1) {
		image_in_fresh(img, err != NULL ? err : "cannot restore");
		free(err);
		return;
	}
	log_notice("%s: restores from host %s's image (%llu KiB, %llu ms "
	    "after the move)", p->name, img->host,
	    (unsigned long long)img->off / 1024,
	    (unsigned long long)(now_us() / 1000 - img->t0_ms));
	/* The restore holds the file open: it can go now.  img stays
	 * until the partition runs (part_started) or dies: calls wait
	 * for it meanwhile (part_coming). */
	unlink(img->file);
	event_del(img->ev);
	img->restoring = true;
	image_why(p, "moved here: restores the image from", img->host);
}

void
part_image_in(struct daemon *d, const char *host,
    const struct proto_image_view *v)
{
	struct farm_run		*f;
	struct part		*p = NULL;
	struct part_image	*img = NULL;
	char			 why[128];

	if ((f = farm_run_find(d, v->farm)) != NULL)
		p = farm_run_part(f, v->part);
	if (p != NULL)
		img = p->image;
	if (img == NULL || img->out || img->restoring ||
	    strcmp(img->host, host) != 0) {
		/* Late (we gave up on it) or never asked for: each frame
		 * is dropped, the first and the last said. */
		if (v->offset == 0 || v->kind != BALTIC_IMAGE_DATA)
			log_warnx("host %s: an image of %s/%s that no "
			    "partition here waits for: dropped", host,
			    v->farm, v->part);
		return;
	}
	img->last_ms = now_us() / 1000;
	if (v->kind == BALTIC_IMAGE_ABORT) {
		snprintf(why, sizeof why, "host %s: %.*s", host,
		    (int)(v->len < 100 ? v->len : 100), (const char *)v->data);
		for (char *s = why; *s != '\0'; s++)
			if (*s < ' ' || *s > '~')
				*s = '?';
		image_in_fresh(img, why);
		return;
	}
	if (v->offset != img->off) {
		image_in_fresh(img, "its image came out of order");
		return;
	}
	if (v->kind == BALTIC_IMAGE_END) {
		if (img->fd == -1)
			image_in_fresh(img, "its image was empty");
		else
			image_in_end(img);
		return;
	}
	if (v->len > img->max - img->off) {
		image_in_fresh(img, "its image is larger than its memory");
		return;
	}
	if (img->fd == -1 && (img->fd = open(img->file, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		image_in_fresh(img, strerror(errno));
		return;
	}
	if (write_all(img->fd, v->data, v->len) == -1) {
		image_in_fresh(img, strerror(errno));
		return;
	}
	img->off += v->len;
}

/* ---- either end ---------------------------------------------------------- */

void
part_image_free(struct part *p)
{
	struct part_image	*img = p->image;

	if (img == NULL)
		return;
	p->image = NULL;
	img->p = NULL;
	/* The backend still saves the domain: its end frees img. */
	if (img->out && img->started && img->fd == -1 && img->ev == NULL)
		return;
	image_free(img);
}
