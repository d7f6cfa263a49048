/*
 * cmd-compile.c: `baltic compile [--json] [-o DIR] [-f FARM] FILE`.  The
 * farm is checked first: with an error, the problems are printed, nothing
 * is written and the exit status is 1.  Then each VM instance's xl config
 * goes to stdout (after a "# <instance>.cfg" line, configs separated by an
 * empty line) or, with -o, to DIR/<instance>.cfg, each replaced atomically;
 * with -N, -o only says what it would write.  --json prints the graph.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* asprintf */
#endif

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/baltic.h"
#include "farm/farm.h"
#include "log.h"
#include "compile/translate.h"

/*
 * Write text to dir/name through a temporary file in dir, fsync()ed and
 * rename()d over the old file, so a reader sees the old or the new file,
 * never half of one.  Returns 0, or -1 with a message logged.
 */
static int
write_atomic(const char *dir, const char *name, const char *text)
{
	char	*path = NULL, *tmp = NULL;
	FILE	*f = NULL;
	int	 fd = -1, rc = -1;

	if (asprintf(&path, "%s/%s", dir, name) == -1 ||
	    asprintf(&tmp, "%s/.%s.XXXXXX", dir, name) == -1) {
		path = tmp = NULL;
		log_warn("%s", name);
		goto out;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		log_warn("%s", tmp);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) == -1 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("%s", tmp);
		goto out;
	}
	fd = -1;
	if (fputs(text, f) == EOF || fflush(f) == EOF ||
	    fsync(fileno(f)) == -1) {
		log_warn("%s", tmp);
		goto out;
	}
	if (fclose(f) == EOF) {
		f = NULL;
		log_warn("%s", tmp);
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) == -1) {
		log_warn("rename %s", path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	printf("%s\n", path);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(path);
	return rc;
}

/* The xl config of every instance of f, to stdout or into dir. */
static int
compile_configs(const struct farm_file *file, const struct farm *f,
    const char *dir)
{
	struct domcfg	 cfg;
	char		*text = NULL, *name = NULL;
	size_t		 i;
	int		 rc = BALTIC_EXIT_FAIL;

	domcfg_init(&cfg);
	if (dir != NULL && !baltic_dryrun && mkdir(dir, 0755) == -1 &&
	    errno != EEXIST) {
		log_warn("%s", dir);
		goto out;
	}
	for (i = 0; i < f->ninstances; i++) {
		domcfg_dispose(&cfg);
		free(text);
		free(name);
		text = name = NULL;
		if (translate_instance(file, f, &f->instances[i], &cfg) == -1)
			goto out;
		if ((text = domcfg_xl_string(&cfg)) == NULL ||
		    asprintf(&name, "%s.cfg", cfg.name) == -1) {
			name = NULL;
			log_warn("%s", f->instances[i].name);
			goto out;
		}
		if (dir == NULL) {
			printf("%s# %s\n%s", i == 0 ? "" : "\n", name, text);
			continue;
		}
		if (baltic_dryrun) {
			printf("would write %s/%s\n", dir, name);
			continue;
		}
		if (write_atomic(dir, name, text) == -1)
			goto out;
	}
	if (fflush(stdout) == EOF) {
		log_warn("stdout");
		goto out;
	}
	rc = BALTIC_EXIT_OK;
out:
	domcfg_dispose(&cfg);
	free(text);
	free(name);
	return rc;
}

static int
compile_json(const struct farm_file *file, const struct farm *f)
{
	char	*json = NULL;
	size_t	 len;
	int	 rc = BALTIC_EXIT_FAIL;

	if (graph_json(file, f, true, &json, &len) == -1) {
		log_warnx("%s: cannot generate JSON", f->name);
		goto out;
	}
	if (fwrite(json, 1, len, stdout) != len ||
	    (len > 0 && json[len - 1] != '\n' && putchar('\n') == EOF) ||
	    fflush(stdout) == EOF) {
		log_warn("stdout");
		goto out;
	}
	rc = BALTIC_EXIT_OK;
out:
	free(json);
	return rc;
}

int
cmd_compile(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "farm",	required_argument,	NULL, 'f' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct farm_file		*file = NULL;
	struct farm_diags		 d;
	const struct farm		*f;
	const char			*dir = NULL, *farmname = NULL, *path;
	int				 ch, json = 0, rc = BALTIC_EXIT_FAIL;

	farm_diags_init(&d);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "jo:f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'f':
			farmname = optarg;
			break;
		case 'h':
		default:
			rc = cmd_usage(argv[0]);
			goto out;
		}
	}
	if (optind != argc - 1 || (json && dir != NULL)) {
		rc = cmd_usage(argv[0]);
		goto out;
	}
	path = argv[optind];

	errno = 0;
	file = farm_load(path, &d);
	if (file == NULL && d.nerrors == 0) {
		fprintf(stderr, "%s: %s\n", path,
		    errno != 0 ? strerror(errno) : "cannot be read");
		goto out;
	}
	farm_diags_print(&d, stderr);
	if (file == NULL || d.nerrors != 0)
		goto out;

	if (farmname != NULL) {
		if ((f = farm_find_farm(file, farmname)) == NULL) {
			fprintf(stderr, "%s: no farm %s\n", path, farmname);
			rc = BALTIC_EXIT_NOTFOUND;
			goto out;
		}
	} else if (file->nfarms == 1)
		f = &file->farms[0];
	else {
		fprintf(stderr, "%s: %s; choose one with -f\n", path,
		    file->nfarms == 0 ? "no farm" : "more than one farm");
		rc = file->nfarms == 0 ? BALTIC_EXIT_FAIL : BALTIC_EXIT_USAGE;
		goto out;
	}

	if (json)
		rc = compile_json(file, f);
	else
		rc = compile_configs(file, f, dir);
out:
	if (file != NULL)
		farm_file_free(file);
	farm_diags_dispose(&d);
	return rc;
}
