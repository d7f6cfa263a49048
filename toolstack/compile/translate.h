/*
 * translate.h: a checked farm, translated.  One function,
 * translate_instance(), decides a VM instance's domain; its struct domcfg
 * is then written either as an xl config (domcfg_write_xl, for `baltic
 * compile` and for administrators) or as the libxl_domain_config that
 * libxl_domain_create_new() takes (domcfg_to_libxl, for balticd).  Both
 * outputs come from the same struct, so they cannot disagree.
 *
 * graph_json() gives the checked farm as JSON for scripts.
 */
#ifndef BALTIC_TRANSLATE_H
#define BALTIC_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "farm/farm.h"

/* xl's on_poweroff / on_reboot / on_crash actions that a farm uses. */
enum domcfg_action {
	DOMCFG_DESTROY,
	DOMCFG_RESTART,
	DOMCFG_PRESERVE,
};
const char	*domcfg_action_name(enum domcfg_action);

/*
 * One domain, as xl would be told it.  Every string is owned (free()d by
 * domcfg_dispose); cpuid is NULL when the domain needs none.
 */
struct domcfg {
	char			*name;		/* the instance: <farm>-<binding>[-<n>] */
	enum farm_domtype	 type;
	char			*kernel;	/* <image>/build/vmlinux, absolute */
	char			*ramdisk;	/* <image>/build/initrd.cpio, absolute */
	char			*extra;		/* the kernel command line */
	char			*cpuid;		/* xl syntax: "host,rdtscp=0" for pvh */
	unsigned		 memory;	/* MiB */
	unsigned		 vcpus;
	enum domcfg_action	 on_poweroff;
	enum domcfg_action	 on_reboot;
	enum domcfg_action	 on_crash;
	char			**disks;	/* absolute files: raw, rw,
						 * xvda, xvdb... in order */
	size_t			 ndisks;
	char			**bridges;	/* a vif on each */
	size_t			 nbridges;
};

void	domcfg_init(struct domcfg *);
void	domcfg_dispose(struct domcfg *);	/* idempotent */

/*
 * Fill out (domcfg_init()ed by the caller, disposed by the caller even on
 * failure) with the domain of inst, a checked instance of farm f read
 * from file.  The guest finds its wiring from its command line:
 * "console=hvc0 baltic.farm=<farm> baltic.instance=<instance>".
 * Returns 0, or -1 with a message logged (role without an image, no
 * memory).
 */
int	translate_instance(const struct farm_file *file, const struct farm *f,
	    const struct farm_instance *inst, struct domcfg *out);

/* cfg's domain named name (and the guest told so), not its instance's:
 * 0, or -1 out of memory. */
int	domcfg_rename(struct domcfg *cfg, const char *farm, const char *name);

/*
 * The absolute path of a role's image directory (image_path made
 * absolute, symbolic links resolved when it exists).  Caller frees; NULL
 * if the role has no image or on allocation failure.
 */
char	*translate_image_dir(const struct farm_role *);

/*
 * Write cfg as an xl domain config (xl.cfg(5)) to out; strings are
 * quoted for libxlutil.  Returns 0, or -1 if writing failed.
 */
int	domcfg_write_xl(const struct domcfg *cfg, FILE *out);

/*
 * The xl config as one NUL-terminated string.  Caller frees; NULL on
 * allocation failure.
 */
char	*domcfg_xl_string(const struct domcfg *cfg);

/*
 * graph_json: the checked farm f of file as one JSON object (keys sorted
 * in every object, arrays in source order), pretty-printed if pretty.
 * Caller frees *json_r (NUL-terminated, *len_r bytes without the NUL).
 * Returns 0, or -1 on a generator or allocation failure.
 */
int	graph_json(const struct farm_file *file, const struct farm *f,
	    bool pretty, char **json_r, size_t *len_r);

/*
 * Fill d_config, which the caller has libxl_domain_config_init()ed and
 * disposes with libxl_domain_config_dispose() whatever the result, as
 * libxl_domain_create_new() wants it for cfg.  Strings are strdup()ed:
 * libxl frees them with free().  ctx is used only to allocate the
 * avail_vcpus bitmap; with ctx NULL the bitmap is left empty and libxl
 * makes every one of max_vcpus available, as xl does.  Returns 0, or a
 * libxl ERROR_* code (ERROR_NOMEM, ERROR_INVAL for a cpuid it refuses).
 * Declared with libxl's struct tags so that including this header does
 * not need libxl.h; the code is in translate-libxl.c.
 */
struct libxl__ctx;
struct libxl_domain_config;
int	domcfg_to_libxl(struct libxl__ctx *ctx, const struct domcfg *cfg,
	    struct libxl_domain_config *d_config);

#endif /* BALTIC_TRANSLATE_H */
