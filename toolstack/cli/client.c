/* client.c: see client.h. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"
#include "util/util.h"

const char *
client_socket_path(void)
{
	static char	 buf[PATH_MAX];
	const char	*s = getenv("BALTIC_SOCKET"), *run;

	if (s != NULL && *s != '\0')
		return s;
	run = getenv("BALTIC_RUN_DIR");
	snprintf(buf, sizeof buf, "%s/%s",
	    run != NULL && *run != '\0' ? run : CTL_RUN_DIR, CTL_SOCK);
	return buf;
}

yajl_gen
client_req(const char *cmd)
{
	yajl_gen	g;

	if ((g = yajl_gen_alloc(NULL)) == NULL) {
		fprintf(stderr, "baltic: out of memory\n");
		exit(BALTIC_EXIT_FAIL);
	}
	yajl_gen_map_open(g);
	client_kv(g, CTL_K_CMD, cmd);
	if (baltic_dryrun) {
		yajl_gen_string(g, (const unsigned char *)CTL_K_DRYRUN,
		    strlen(CTL_K_DRYRUN));
		yajl_gen_bool(g, 1);
	}
	return g;
}

void
client_kv(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

void
client_ki(yajl_gen g, const char *k, long long v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_integer(g, v);
}

static int
client_connect(void)
{
	struct sockaddr_un	 sun;
	const char		*path = client_socket_path();
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		fprintf(stderr, "baltic: cannot reach balticd at %s: %s "
		    "(is balticd running?)\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Say that balticd's answer did not parse, and show its start, with
 * unprintable bytes as \xHH (a daemon that died mid-line, or a string it
 * did not escape). */
static void
bad_answer(const char *line, size_t len, const char *why)
{
	size_t	i;

	fprintf(stderr, "baltic: bad answer from balticd (%.*s; %zu bytes): ",
	    (int)strcspn(why, "\n"), why, len);
	for (i = 0; i < len && i < 300; i++) {
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f)
			fprintf(stderr, "\\x%02x", (unsigned char)line[i]);
		else
			fputc(line[i], stderr);
	}
	fputc('\n', stderr);
}

int
client_run(yajl_gen g, int quiet, yajl_val *resp_r)
{
	const unsigned char	*buf;
	size_t			 len;
	FILE			*fp = NULL;
	char			*line = NULL, ebuf[256];
	size_t			 cap = 0;
	ssize_t			 n;
	yajl_val		 v = NULL, ok;
	const char		*path[] = { CTL_K_OK, NULL };
	const char		*s;
	int			 fd, rc = BALTIC_EXIT_NODAEMON;

	if (resp_r != NULL)
		*resp_r = NULL;
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	if ((fd = client_connect()) == -1)
		goto out;
	if (write(fd, buf, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		fprintf(stderr, "baltic: write to balticd: %s\n",
		    strerror(errno));
		close(fd);
		goto out;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		goto out;
	}
	while ((n = getline(&line, &cap, fp)) > 0) {
		if ((v = yajl_tree_parse(line, ebuf, sizeof ebuf)) == NULL) {
			bad_answer(line, (size_t)n, ebuf);
			rc = BALTIC_EXIT_FAIL;
			goto out;
		}
		if ((s = json_str(v, CTL_K_PROGRESS)) != NULL) {
			if (!quiet)
				fprintf(stderr, "%s\n", s);
			yajl_tree_free(v);
			v = NULL;
			continue;
		}
		ok = yajl_tree_get(v, path, yajl_t_any);
		if (ok != NULL && YAJL_IS_TRUE(ok)) {
			rc = BALTIC_EXIT_OK;
			if (!quiet && (s = json_str(v, CTL_K_MESSAGE)) != NULL)
				fprintf(stderr, "%s\n", s);
		} else {
			rc = (int)json_int(v, CTL_K_EXIT, 0);
			if (rc == 0)
				rc = BALTIC_EXIT_FAIL;
			if ((s = json_str(v, CTL_K_ERROR)) != NULL) {
				len = strlen(s);
				fprintf(stderr, "%s%s", s,
				    len > 0 && s[len - 1] == '\n' ? "" : "\n");
			}
		}
		break;
	}
	if (v == NULL) {
		fprintf(stderr, "baltic: balticd closed the connection\n");
		rc = BALTIC_EXIT_NODAEMON;
	}
out:
	if (resp_r != NULL && v != NULL)
		*resp_r = v;
	else
		yajl_tree_free(v);
	free(line);
	if (fp != NULL)
		fclose(fp);
	yajl_gen_free(g);
	return rc;
}
