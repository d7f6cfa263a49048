/*
 * keep-proto.c: the keeper's messages and the call records balticd keeps
 * in it (keep.h).  Both sides check everything they read: the keeper a
 * message from whoever reached its socket, balticd a record that an
 * earlier balticd wrote (it may be of another build, or cut short).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keep/keep.h"

/* A key, or a name in a record: 1..max printable bytes, no NUL. */
static bool
keep_text_ok(const char *untrusted, size_t len, size_t max, bool spaces)
{
	size_t	i;

	if (len < 1 || len > max)
		return false;
	for (i = 0; i < len; i++) {
		if (untrusted[i] < (spaces ? ' ' : '!') || untrusted[i] > '~')
			return false;
	}
	return true;
}

static bool
keep_takes_key(uint32_t type)
{
	return type == KEEP_PUT || type == KEEP_DEL || type == KEEP_ENTRY;
}

size_t
keep_msg_encode(uint8_t *buf, uint32_t type, const char *key,
    const void *val, size_t vallen)
{
	size_t	keylen = key != NULL ? strlen(key) : 0;

	if (keep_takes_key(type) != (keylen > 0) ||
	    (keylen > 0 && !keep_text_ok(key, keylen, KEEP_KEY_MAX, true)) ||
	    vallen > KEEP_MSG_MAX - KEEP_HDR_LEN - keylen)
		return 0;
	proto_encode_le32(buf, KEEP_VERSION);
	proto_encode_le32(buf + 4, type);
	proto_encode_le32(buf + 8, (uint32_t)keylen);
	if (keylen > 0)
		memcpy(buf + KEEP_HDR_LEN, key, keylen);
	if (vallen > 0)
		memcpy(buf + KEEP_HDR_LEN + keylen, val, vallen);
	return KEEP_HDR_LEN + keylen + vallen;
}

int
keep_msg_send(int sock, uint32_t type, const char *key, const void *val,
    size_t vallen, int pass_fd)
{
	static uint8_t	 buf[KEEP_MSG_MAX];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	size_t		 n;

	if ((n = keep_msg_encode(buf, type, key, val, vallen)) == 0) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&msg, 0, sizeof msg);
	iov.iov_base = buf;
	iov.iov_len = n;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (pass_fd != -1) {
		memset(&cm, 0, sizeof cm);
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof cm.buf;
		CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &pass_fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

ssize_t
keep_msg_recv(int sock, uint8_t *buf, int flags, int *fds, size_t *nfds_r,
    bool *cut_r)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(KEEP_FDS_MAX * sizeof(int))];
	}		 cm;
	struct cmsghdr	*ch;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 r;
	size_t		 i, n;
	int		 fd;

	*nfds_r = 0;
	*cut_r = false;
	memset(&msg, 0, sizeof msg);
	iov.iov_base = buf;
	iov.iov_len = KEEP_MSG_MAX;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof cm.buf;
	if ((r = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC)) == -1)
		return -1;
	for (ch = CMSG_FIRSTHDR(&msg); ch != NULL; ch = CMSG_NXTHDR(&msg, ch)) {
		if (ch->cmsg_level != SOL_SOCKET || ch->cmsg_type != SCM_RIGHTS)
			continue;
		n = (ch->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(ch) + i * sizeof(int), sizeof fd);
			if (*nfds_r < KEEP_FDS_MAX)
				fds[(*nfds_r)++] = fd;
			else
				close(fd);
		}
	}
	*cut_r = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
	return r;
}

int
keep_msg_parse(const uint8_t *untrusted, size_t len, struct keep_msg_view *r,
    const char **why_r)
{
	uint32_t	version, type, keylen;

	memset(r, 0, sizeof *r);
	if (len < KEEP_HDR_LEN || len > KEEP_MSG_MAX) {
		*why_r = "message of a bad length";
		return -1;
	}
	version = proto_decode_le32(untrusted);
	type = proto_decode_le32(untrusted + 4);
	keylen = proto_decode_le32(untrusted + 8);
	if (version != KEEP_VERSION) {
		*why_r = "message of another version";
		return -1;
	}
	if (type < KEEP_PUT || type > KEEP_BATCH) {
		*why_r = "unknown message type";
		return -1;
	}
	if (keylen > KEEP_KEY_MAX || keylen > len - KEEP_HDR_LEN) {
		*why_r = "key longer than the message";
		return -1;
	}
	if (keep_takes_key(type) != (keylen > 0)) {
		*why_r = "key missing, or where none belongs";
		return -1;
	}
	if (!keep_takes_key(type) && type != KEEP_BATCH &&
	    len != KEEP_HDR_LEN) {
		*why_r = "body where none belongs";
		return -1;
	}
	if (keylen > 0 && !keep_text_ok((const char *)untrusted +
	    KEEP_HDR_LEN, keylen, KEEP_KEY_MAX, true)) {
		*why_r = "key not printable";
		return -1;
	}
	/* Validated. */
	r->type = type;
	memcpy(r->key, untrusted + KEEP_HDR_LEN, keylen);
	r->key[keylen] = '\0';
	r->val = untrusted + KEEP_HDR_LEN + keylen;
	r->vallen = len - KEEP_HDR_LEN - keylen;
	return 0;
}

int
keep_batch_next(const uint8_t **p, size_t *left, const uint8_t **msg,
    size_t *len)
{
	uint32_t	n;

	if (*left == 0)
		return 0;
	if (*left < 4 || (n = proto_decode_le32(*p)) > *left - 4)
		return -1;
	*msg = *p + 4;
	*len = n;
	*p += 4 + (size_t)n;
	*left -= 4 + (size_t)n;
	return 1;
}

/* ---- call records ------------------------------------------------------ */

char *
keep_call_encode(const struct keep_call *c, size_t *len_r)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 len = 0, i;

	if (!keep_text_ok(c->farm, strlen(c->farm), KEEP_NAME_MAX, false) ||
	    !proto_name_ok(c->iface, strlen(c->iface)) ||
	    !proto_name_ok(c->op, strlen(c->op)) ||
	    c->nattempts > KEEP_ATTEMPTS_MAX || c->reqlen > KEEP_REQUEST_MAX)
		return NULL;
	for (i = 0; i < c->nattempts; i++)
		if (!keep_text_ok(c->attempts[i].inst,
		    strlen(c->attempts[i].inst), KEEP_NAME_MAX, false))
			return NULL;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fprintf(fp, "farm %s\nexport %u\ncall %s.%s\ndeadline %llu\n"
	    "reached %d\n", c->farm, c->export, c->iface, c->op,
	    (unsigned long long)c->deadline_us, c->reached);
	if (c->reqlen > 0)
		fprintf(fp, "request %zu %llu\n", c->reqlen,
		    (unsigned long long)c->reqhash);
	for (i = 0; i < c->nattempts; i++)
		fprintf(fp, "attempt %s %u\n", c->attempts[i].inst,
		    c->attempts[i].id);
	if (c->has_arg && c->arglen <= KEEP_ARG_MAX) {
		fprintf(fp, "arg %zu\n", c->arglen);
		if (c->arglen > 0)
			fwrite(c->arg, 1, c->arglen, fp);
	}
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	*len_r = len;
	return buf;
}

/* A decimal number of at most max; 0, or -1. */
static int
keep_number(const char *untrusted, uint64_t max, uint64_t *v_r)
{
	uint64_t	v = 0;

	if (*untrusted == '\0')
		return -1;
	for (; *untrusted != '\0'; untrusted++) {
		if (*untrusted < '0' || *untrusted > '9')
			return -1;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*untrusted - '0'),
		    &v) || v > max)
			return -1;
	}
	*v_r = v;
	return 0;
}

/* Copy a name into dst (size KEEP_NAME_MAX + 1); 0, or -1. */
static int
keep_name(const char *untrusted, char *dst)
{
	size_t	len = strlen(untrusted);

	if (!keep_text_ok(untrusted, len, KEEP_NAME_MAX, false))
		return -1;
	memcpy(dst, untrusted, len + 1);
	return 0;
}

/* One "word value" line of a record, without its argument tail. */
static int
keep_call_line(struct keep_call *r, char *line, unsigned *seen)
{
	char		*val, *dot, *sp;
	uint64_t	 v;

	if ((val = strchr(line, ' ')) == NULL)
		return -1;
	*val++ = '\0';
	if (strcmp(line, "farm") == 0) {
		*seen |= 1;
		return keep_name(val, r->farm);
	}
	if (strcmp(line, "export") == 0) {
		*seen |= 2;
		if (keep_number(val, UINT32_MAX, &v) == -1)
			return -1;
		r->export = (uint32_t)v;
		return 0;
	}
	if (strcmp(line, "call") == 0) {
		*seen |= 4;
		if ((dot = strchr(val, '.')) == NULL)
			return -1;
		*dot++ = '\0';
		if (!proto_name_ok(val, strlen(val)) ||
		    !proto_name_ok(dot, strlen(dot)))
			return -1;
		strcpy(r->iface, val);
		strcpy(r->op, dot);
		return 0;
	}
	if (strcmp(line, "deadline") == 0) {
		*seen |= 8;
		return keep_number(val, UINT64_MAX, &r->deadline_us);
	}
	if (strcmp(line, "reached") == 0) {
		if (keep_number(val, 1, &v) == -1)
			return -1;
		r->reached = v == 1;
		return 0;
	}
	if (strcmp(line, "request") == 0) {
		if ((sp = strchr(val, ' ')) == NULL)
			return -1;
		*sp++ = '\0';
		if (keep_number(val, KEEP_REQUEST_MAX, &v) == -1 || v == 0 ||
		    keep_number(sp, UINT64_MAX, &r->reqhash) == -1)
			return -1;
		r->reqlen = (size_t)v;
		return 0;
	}
	if (strcmp(line, "attempt") == 0) {
		if (r->nattempts == KEEP_ATTEMPTS_MAX ||
		    (sp = strchr(val, ' ')) == NULL)
			return -1;
		*sp++ = '\0';
		if (keep_name(val, r->attempts[r->nattempts].inst) == -1 ||
		    keep_number(sp, UINT32_MAX, &v) == -1 || v == 0)
			return -1;
		r->attempts[r->nattempts++].id = (uint32_t)v;
		return 0;
	}
	return -1;
}

int
keep_call_parse(const uint8_t *untrusted, size_t len, struct keep_call *r,
    const char **why_r)
{
	char		 line[2 * KEEP_NAME_MAX + 32];
	const uint8_t	*p = untrusted, *end = untrusted + len, *nl;
	unsigned	 seen = 0;
	uint64_t	 v;

	memset(r, 0, sizeof *r);
	*why_r = "bad line";
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (size_t)(nl - p) >= sizeof line ||
		    memchr(p, '\0', (size_t)(nl - p)) != NULL)
			return -1;
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		p = nl + 1;
		if (strncmp(line, "arg ", 4) == 0) {
			if (keep_number(line + 4, KEEP_ARG_MAX, &v) == -1 ||
			    v != (uint64_t)(end - p)) {
				*why_r = "argument of a bad length";
				return -1;
			}
			r->has_arg = true;
			r->arg = p;
			r->arglen = (size_t)v;
			break;
		}
		if (keep_call_line(r, line, &seen) == -1)
			return -1;
	}
	if (seen != 15) {
		*why_r = "farm, export, call or deadline missing";
		return -1;
	}
	return 0;
}
