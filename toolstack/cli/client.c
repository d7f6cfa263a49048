/* client.c: see client.h. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
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
	if (v != NULL)
		yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

void
client_ki(yajl_gen g, const char *k, long long v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_integer(g, v);
}

void
client_gen_val(yajl_gen g, yajl_val v)
{
	size_t	i;

	if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			yajl_gen_string(g, (const unsigned char *)
			    v->u.object.keys[i], strlen(v->u.object.keys[i]));
			client_gen_val(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			client_gen_val(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_STRING(v)) {
		const char *s = v->u.string;

		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	}
	else if (YAJL_IS_INTEGER(v))
		yajl_gen_integer(g, YAJL_GET_INTEGER(v));
	else if (YAJL_IS_NUMBER(v))
		yajl_gen_double(g, YAJL_GET_DOUBLE(v));
	else if (YAJL_IS_TRUE(v))
		yajl_gen_bool(g, 1);
	else if (YAJL_IS_FALSE(v))
		yajl_gen_bool(g, 0);
	else
		yajl_gen_null(g);
}

/* Print g's JSON, indented, to stdout; frees g. */
static void
client_print_gen(yajl_gen g)
{
	const unsigned char	*buf;
	size_t			 len;

	yajl_gen_get_buf(g, &buf, &len);
	fwrite(buf, 1, len, stdout);
	yajl_gen_free(g);
}

int
client_fail(int rc, const char *fmt, ...)
{
	va_list		 ap;
	char		*msg = NULL;
	yajl_gen	 g;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	fprintf(stderr, "baltic: %s\n", msg != NULL ? msg : "out of memory");
	if (baltic_json && (g = yajl_gen_alloc(NULL)) != NULL) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_map_open(g);
		client_kv(g, CTL_K_OK, NULL);
		yajl_gen_bool(g, 0);
		client_ki(g, CTL_K_EXIT, rc);
		client_kv(g, CTL_K_ERROR, msg != NULL ? msg : "out of memory");
		yajl_gen_map_close(g);
		client_print_gen(g);
	}
	free(msg);
	return rc;
}

/* --json: balticd's final answer v, with the progress lines before it,
 * to stdout. */
static void
client_print_answer(yajl_val v, char **progress, size_t nprogress)
{
	yajl_gen	g;
	size_t		i;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_map_open(g);
	for (i = 0; i < v->u.object.len; i++) {
		client_kv(g, v->u.object.keys[i], NULL);
		client_gen_val(g, v->u.object.values[i]);
	}
	client_kv(g, CTL_K_PROGRESS, NULL);
	yajl_gen_array_open(g);
	for (i = 0; i < nprogress; i++)
		yajl_gen_string(g, (const unsigned char *)progress[i],
		    strlen(progress[i]));
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	client_print_gen(g);
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
		client_fail(BALTIC_EXIT_NODAEMON, "cannot reach balticd at %s: "
		    "%s (is balticd running?)", path, strerror(errno));
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

/* Keep a progress line for --json; 0, or -1 out of memory. */
static int
progress_add(char ***v, size_t *n, const char *line)
{
	char	**nv;

	if ((nv = reallocarray(*v, *n + 1, sizeof *nv)) == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(line)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* The final answer v: its exit code, its message or error said. */
static int
client_answer(yajl_val v, int quiet)
{
	const char	*path[] = { CTL_K_OK, NULL };
	yajl_val	 ok = yajl_tree_get(v, path, yajl_t_any);
	const char	*s;
	size_t		 len;
	int		 rc;

	if (ok != NULL && YAJL_IS_TRUE(ok)) {
		if (!quiet && !baltic_json &&
		    (s = json_str(v, CTL_K_MESSAGE)) != NULL)
			fprintf(stderr, "%s\n", s);
		return BALTIC_EXIT_OK;
	}
	if ((rc = (int)json_int(v, CTL_K_EXIT, 0)) == 0)
		rc = BALTIC_EXIT_FAIL;
	if ((s = json_str(v, CTL_K_ERROR)) != NULL) {
		len = strlen(s);
		fprintf(stderr, "%s%s", s,
		    len > 0 && s[len - 1] == '\n' ? "" : "\n");
	}
	return rc;
}

int
client_run(yajl_gen g, int quiet, yajl_val *resp_r)
{
	const unsigned char	*buf;
	size_t			 len, nprogress = 0, i;
	FILE			*fp = NULL;
	char			*line = NULL, ebuf[256], **progress = NULL;
	size_t			 cap = 0;
	ssize_t			 n;
	yajl_val		 v = NULL;
	const char		*s;
	int			 fd, rc = BALTIC_EXIT_NODAEMON;

	if (resp_r != NULL)
		*resp_r = NULL;
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	if ((fd = client_connect()) == -1)
		goto out;
	if (write(fd, buf, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		client_fail(rc, "write to balticd: %s", strerror(errno));
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
			rc = client_fail(BALTIC_EXIT_FAIL, "bad answer from "
			    "balticd");
			goto out;
		}
		if ((s = json_str(v, CTL_K_PROGRESS)) != NULL) {
			if (baltic_json)
				progress_add(&progress, &nprogress, s);
			else if (!quiet)
				fprintf(stderr, "%s\n", s);
			yajl_tree_free(v);
			v = NULL;
			continue;
		}
		if (!YAJL_IS_OBJECT(v)) {
			rc = client_fail(BALTIC_EXIT_FAIL, "bad answer from "
			    "balticd: not an object");
			goto out;
		}
		rc = client_answer(v, quiet);
		if (baltic_json)
			client_print_answer(v, progress, nprogress);
		break;
	}
	if (v == NULL)
		rc = client_fail(BALTIC_EXIT_NODAEMON,
		    "balticd closed the connection");
out:
	if (resp_r != NULL && v != NULL)
		*resp_r = v;
	else
		yajl_tree_free(v);
	for (i = 0; i < nprogress; i++)
		free(progress[i]);
	free(progress);
	free(line);
	if (fp != NULL)
		fclose(fp);
	yajl_gen_free(g);
	return rc;
}
