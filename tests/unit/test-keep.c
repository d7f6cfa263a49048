/*
 * test-keep.c: the keeper's codec (keep-proto.c) -- messages and call
 * records, round trips and every rejection; and a keeper process
 * (keeper.c): PUT with a descriptor, LIST gives it back, DEL drops it, a
 * BATCH of PUTs and DELs, a bad client (or batch) is dropped and the
 * entries stay, QUIT ends it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "keep/keep.h"

static uint8_t	buf[KEEP_MSG_MAX];

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void
test_msg_roundtrip(void **state)
{
	struct keep_msg_view	 m;
	const char		*why;
	size_t			 n;

	n = keep_msg_encode(buf, KEEP_PUT, "listen eop 127.0.0.1:80", "v", 1);
	assert_int_equal(n, KEEP_HDR_LEN + 23 + 1);
	assert_int_equal(keep_msg_parse(buf, n, &m, &why), 0);
	assert_int_equal(m.type, KEEP_PUT);
	assert_string_equal(m.key, "listen eop 127.0.0.1:80");
	assert_int_equal(m.vallen, 1);
	assert_memory_equal(m.val, "v", 1);

	n = keep_msg_encode(buf, KEEP_LIST, NULL, NULL, 0);
	assert_int_equal(n, KEEP_HDR_LEN);
	assert_int_equal(keep_msg_parse(buf, n, &m, &why), 0);
	assert_int_equal(m.type, KEEP_LIST);
	assert_int_equal(m.vallen, 0);
}

static void
test_msg_encode_rejects(void **state)
{
	static char	big[KEEP_MSG_MAX];

	/* A key where none belongs, none where one does, a bad key. */
	assert_int_equal(keep_msg_encode(buf, KEEP_LIST, "k", NULL, 0), 0);
	assert_int_equal(keep_msg_encode(buf, KEEP_PUT, NULL, NULL, 0), 0);
	assert_int_equal(keep_msg_encode(buf, KEEP_PUT, "a\nb", NULL, 0), 0);
	memset(big, 'k', KEEP_KEY_MAX + 1);
	big[KEEP_KEY_MAX + 1] = '\0';
	assert_int_equal(keep_msg_encode(buf, KEEP_PUT, big, NULL, 0), 0);
	/* Too big for a packet. */
	assert_int_equal(keep_msg_encode(buf, KEEP_PUT, "k", big,
	    KEEP_MSG_MAX - KEEP_HDR_LEN), 0);
	assert_int_equal(keep_msg_encode(buf, KEEP_PUT, "k", big,
	    KEEP_MSG_MAX - KEEP_HDR_LEN - 1), KEEP_MSG_MAX);
}

static void
expect_parse_fail(uint32_t version, uint32_t type, uint32_t keylen,
    const char *rest, size_t restlen, size_t len)
{
	struct keep_msg_view	 m;
	const char		*why = NULL;

	le32(buf, version);
	le32(buf + 4, type);
	le32(buf + 8, keylen);
	memcpy(buf + KEEP_HDR_LEN, rest, restlen);
	assert_int_equal(keep_msg_parse(buf, len, &m, &why), -1);
	assert_non_null(why);
}

static void
test_msg_parse_rejects(void **state)
{
	expect_parse_fail(1, KEEP_PUT, 1, "k", 1, KEEP_HDR_LEN - 1); /* short */
	expect_parse_fail(1, KEEP_PUT, 1, "k", 1, KEEP_MSG_MAX + 1); /* long */
	expect_parse_fail(2, KEEP_PUT, 1, "k", 1, KEEP_HDR_LEN + 1); /* vers. */
	expect_parse_fail(1, 0, 1, "k", 1, KEEP_HDR_LEN + 1);	/* type */
	expect_parse_fail(1, 99, 1, "k", 1, KEEP_HDR_LEN + 1);
	expect_parse_fail(1, KEEP_PUT, 5, "k", 1, KEEP_HDR_LEN + 1); /* keylen */
	expect_parse_fail(1, KEEP_PUT, 0xffffffff, "k", 1, KEEP_HDR_LEN + 1);
	expect_parse_fail(1, KEEP_PUT, KEEP_KEY_MAX + 1, "k", 1,
	    KEEP_HDR_LEN + KEEP_KEY_MAX + 1);
	expect_parse_fail(1, KEEP_PUT, 0, "", 0, KEEP_HDR_LEN);	/* no key */
	expect_parse_fail(1, KEEP_LIST, 1, "k", 1, KEEP_HDR_LEN + 1);
	expect_parse_fail(1, KEEP_QUIT, 0, "x", 1, KEEP_HDR_LEN + 1); /* body */
	expect_parse_fail(1, KEEP_DEL, 3, "a\0b", 3, KEEP_HDR_LEN + 3);
	expect_parse_fail(1, KEEP_DEL, 2, "a\x80", 2, KEEP_HDR_LEN + 2);
}

static void
call_example(struct keep_call *c)
{
	memset(c, 0, sizeof *c);
	strcpy(c->farm, "faults");
	c->export = 2;
	strcpy(c->iface, "ISubmitOrder");
	strcpy(c->op, "SubmitOrder");
	c->deadline_us = 123456789012ULL;
	c->reached = true;
	c->nattempts = 2;
	strcpy(c->attempts[0].inst, "faults-entry");
	c->attempts[0].id = 4000000000u;
	strcpy(c->attempts[1].inst, "faults-p1");
	c->attempts[1].id = 7;
	c->has_arg = true;
	c->arg = (const uint8_t *)"o\n\0rd";
	c->arglen = 5;
}

static void
test_call_roundtrip(void **state)
{
	struct keep_call	 c, d;
	const char		*why;
	char			*rec;
	size_t			 len;

	call_example(&c);
	assert_non_null(rec = keep_call_encode(&c, &len));
	assert_int_equal(keep_call_parse((uint8_t *)rec, len, &d, &why), 0);
	assert_string_equal(d.farm, "faults");
	assert_int_equal(d.export, 2);
	assert_string_equal(d.iface, "ISubmitOrder");
	assert_string_equal(d.op, "SubmitOrder");
	assert_true(d.deadline_us == 123456789012ULL);
	assert_true(d.reached);
	assert_int_equal(d.nattempts, 2);
	assert_string_equal(d.attempts[0].inst, "faults-entry");
	assert_int_equal(d.attempts[0].id, 4000000000u);
	assert_int_equal(d.attempts[1].id, 7);
	assert_true(d.has_arg);
	assert_int_equal(d.arglen, 5);
	assert_memory_equal(d.arg, "o\n\0rd", 5);
	free(rec);

	/* No argument, no attempt: still a record. */
	c.has_arg = false;
	c.nattempts = 0;
	assert_non_null(rec = keep_call_encode(&c, &len));
	assert_int_equal(keep_call_parse((uint8_t *)rec, len, &d, &why), 0);
	assert_false(d.has_arg);
	assert_int_equal(d.nattempts, 0);
	free(rec);

	/* Bad names are not encoded. */
	call_example(&c);
	strcpy(c.farm, "a b");
	assert_null(keep_call_encode(&c, &len));
	call_example(&c);
	strcpy(c.op, "9x");
	assert_null(keep_call_encode(&c, &len));
	call_example(&c);
	c.nattempts = KEEP_ATTEMPTS_MAX + 1;
	assert_null(keep_call_encode(&c, &len));
}

static void
expect_call_fail(const char *rec)
{
	struct keep_call	 c;
	const char		*why = NULL;

	if (keep_call_parse((const uint8_t *)rec, strlen(rec), &c, &why) != -1)
		fail_msg("accepted: %.60s", rec);
	assert_non_null(why);
}

static void
test_call_parse_rejects(void **state)
{
	static char	big[4096];
	size_t		i;

	expect_call_fail("");
	expect_call_fail("farm f\nexport 0\ncall I.O\n");	/* no deadline */
	expect_call_fail("farm f\nexport 0\ncall I.O\ndeadline 1");	/* \n */
	expect_call_fail("farm f\nexport x\ncall I.O\ndeadline 1\n");
	expect_call_fail("farm f\nexport 4294967296\ncall I.O\ndeadline 1\n");
	expect_call_fail("farm f\nexport 0\ncall IO\ndeadline 1\n");
	expect_call_fail("farm f\nexport 0\ncall I.9\ndeadline 1\n");
	expect_call_fail("farm f\nexport 0\ncall I.O\n"
	    "deadline 18446744073709551616\n");
	expect_call_fail("farm f g\nexport 0\ncall I.O\ndeadline 1\n");
	expect_call_fail("farm f\nexport 0\ncall I.O\ndeadline 1\nwhat 1\n");
	expect_call_fail("farm f\nexport 0\ncall I.O\ndeadline 1\nreached 2\n");
	expect_call_fail("farm f\nexport 0\ncall I.O\ndeadline 1\n"
	    "attempt p 0\n");				/* id 0 */
	expect_call_fail("farm f\nexport 0\ncall I.O\ndeadline 1\n"
	    "attempt p\n");
	expect_call_fail("farm f\nexport 0\ncall I.O\ndeadline 1\narg 3\nab");
	expect_call_fail("farm f\nexport 0\ncall I.O\ndeadline 1\narg 1\nab");
	expect_call_fail("farm f\nexport 0\ncall I.O\ndeadline 1\n"
	    "arg 99999999\nab");
	/* Too many attempts. */
	i = (size_t)snprintf(big, sizeof big, "farm f\nexport 0\ncall I.O\n"
	    "deadline 1\n");
	while (i < sizeof big - 32)
		i += (size_t)snprintf(big + i, sizeof big - i, "attempt p 1\n");
	expect_call_fail(big);
	/* A line longer than any name allows. */
	memset(big, 'f', sizeof big - 1);
	memcpy(big, "farm ", 5);
	big[sizeof big - 2] = '\n';
	big[sizeof big - 1] = '\0';
	expect_call_fail(big);
}

/* ---- the keeper itself, on a socketpair ---------------------------- */

static void
send_msg(int fd, uint32_t type, const char *key, const char *val, int pass)
{
	assert_int_equal(keep_msg_send(fd, type, key, val,
	    val != NULL ? strlen(val) : 0, pass), 0);
}

/* One message from the keeper; its descriptor in *fd_r (-1: none). */
static void
recv_msg(int fd, struct keep_msg_view *m, int *fd_r)
{
	const char	*why;
	ssize_t		 r;
	size_t		 nfds;
	int		 fds[KEEP_FDS_MAX];
	bool		 cut;

	assert_true((r = keep_msg_recv(fd, buf, 0, fds, &nfds, &cut)) > 0);
	assert_false(cut);
	assert_true(nfds <= 1);
	assert_int_equal(keep_msg_parse(buf, (size_t)r, m, &why), 0);
	*fd_r = nfds == 1 ? fds[0] : -1;
}

/* LIST: the keys in order (one letter each), checking each descriptor
 * carries what was written into its pipe. */
static void
list(int fd, char *keys, size_t size)
{
	struct keep_msg_view	 m;
	size_t			 n = 0;
	char			 c;
	int			 kfd;

	send_msg(fd, KEEP_LIST, NULL, NULL, -1);
	for (;;) {
		recv_msg(fd, &m, &kfd);
		if (m.type == KEEP_END)
			break;
		assert_int_equal(m.type, KEEP_ENTRY);
		assert_true(n + 1 < size);
		keys[n++] = m.key[0];
		if (kfd != -1) {
			assert_int_equal(read(kfd, &c, 1), 1);
			assert_int_equal(c, m.key[0]);
			close(kfd);
		}
	}
	keys[n] = '\0';
}

/* The keeper dropped the client on cfd: a new connection. */
static int
dropped(int cfd, const struct sockaddr_un *sun)
{
	assert_int_equal(recv(cfd, buf, sizeof buf, 0), 0);
	close(cfd);
	assert_true((cfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
	assert_int_equal(connect(cfd, (const struct sockaddr *)sun,
	    sizeof *sun), 0);
	return cfd;
}

static void
test_keeper(void **state)
{
	struct sockaddr_un	 sun;
	struct keep_msg_view	 m;
	char			 dir[] = "/tmp/test-keep.XXXXXX", keys[16];
	int			 lfd, cfd, pa[2], pb[2], kfd, status;
	pid_t			 pid;

	assert_non_null(mkdtemp(dir));
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%s", dir, KEEP_SOCK);
	assert_true((lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(lfd, 8), 0);
	if ((pid = fork()) == 0)
		_exit(keeper_main(lfd, sun.sun_path));
	close(lfd);
	assert_true((cfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sun, sizeof sun), 0);

	/* Each descriptor is a pipe holding its key's letter once per
	 * LIST that will return it. */
	assert_int_equal(pipe(pa), 0);
	assert_int_equal(pipe(pb), 0);
	assert_int_equal(write(pa[1], "aa", 2), 2);
	assert_int_equal(write(pb[1], "bbbbbb", 6), 6);
	send_msg(cfd, KEEP_PUT, "a", "rec-a", pa[0]);
	send_msg(cfd, KEEP_PUT, "b", NULL, pb[0]);
	close(pa[0]);
	close(pb[0]);
	list(cfd, keys, sizeof keys);
	assert_string_equal(keys, "ab");
	/* A PUT without a descriptor keeps the one it had. */
	send_msg(cfd, KEEP_PUT, "a", "rec-a2", -1);
	list(cfd, keys, sizeof keys);
	assert_string_equal(keys, "ab");
	send_msg(cfd, KEEP_DEL, "a", NULL, -1);
	send_msg(cfd, KEEP_DEL, "zz", NULL, -1);
	list(cfd, keys, sizeof keys);
	assert_string_equal(keys, "b");

	/* A descriptor with a message that takes none: the client is
	 * dropped, the entries stay for the next one. */
	send_msg(cfd, KEEP_LIST, NULL, NULL, pa[1]);
	cfd = dropped(cfd, &sun);
	list(cfd, keys, sizeof keys);
	assert_string_equal(keys, "b");
	(void)m;
	(void)kfd;

	/* A BATCH: its PUTs and DELs in order, in one packet. */
	{
		uint8_t	 pkt[512];
		size_t	 n, len = keep_msg_encode(pkt, KEEP_BATCH, NULL,
			    NULL, 0);

		n = keep_msg_encode(pkt + len + 4, KEEP_PUT, "c", "rec-c", 5);
		le32(pkt + len, (uint32_t)n);
		len += 4 + n;
		n = keep_msg_encode(pkt + len + 4, KEEP_PUT, "d", "rec-d", 5);
		le32(pkt + len, (uint32_t)n);
		len += 4 + n;
		n = keep_msg_encode(pkt + len + 4, KEEP_DEL, "c", NULL, 0);
		le32(pkt + len, (uint32_t)n);
		len += 4 + n;
		assert_int_equal(send(cfd, pkt, len, 0), (ssize_t)len);
		list(cfd, keys, sizeof keys);
		assert_string_equal(keys, "bd");
		/* A batch whose last length runs past its end: what came
		 * before it stays, the client is dropped. */
		len = keep_msg_encode(pkt, KEEP_BATCH, NULL, NULL, 0);
		n = keep_msg_encode(pkt + len + 4, KEEP_PUT, "e", "rec-e", 5);
		le32(pkt + len, (uint32_t)n);
		len += 4 + n;
		le32(pkt + len, 100);
		len += 4;
		assert_int_equal(send(cfd, pkt, len, 0), (ssize_t)len);
		cfd = dropped(cfd, &sun);
		list(cfd, keys, sizeof keys);
		assert_string_equal(keys, "bde");
		/* A LIST inside a batch is refused the same way. */
		len = keep_msg_encode(pkt, KEEP_BATCH, NULL, NULL, 0);
		n = keep_msg_encode(pkt + len + 4, KEEP_LIST, NULL, NULL, 0);
		le32(pkt + len, (uint32_t)n);
		len += 4 + n;
		assert_int_equal(send(cfd, pkt, len, 0), (ssize_t)len);
		cfd = dropped(cfd, &sun);
	}

	/* QUIT: it exits and removes its socket. */
	send_msg(cfd, KEEP_QUIT, NULL, NULL, -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(access(sun.sun_path, F_OK), -1);
	close(cfd);
	close(pa[1]);
	close(pb[1]);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_roundtrip),
		cmocka_unit_test(test_msg_encode_rejects),
		cmocka_unit_test(test_msg_parse_rejects),
		cmocka_unit_test(test_call_roundtrip),
		cmocka_unit_test(test_call_parse_rejects),
		cmocka_unit_test(test_keeper),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
