/*
 * test-translate.c: translation of checked farms.  Each xl config is
 * written to memory and read back with libxlutil (xl's own parser), the
 * libxl structure is checked field by field, and the JSON graph is read
 * back with yajl_tree.  The examples of examples/eop are translated too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* asprintf, open_memstream */
#endif

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <libxlutil.h>
#include <yajl/yajl_tree.h>

#include "farm/farm.h"
#include "log.h"
#include "compile/translate.h"

#define EXAMPLES	BALTIC_SRCDIR "/examples/eop"

/* ---- a hand-built checked tree: one role, one instance --------------- */

struct tiny {
	struct farm_role	role;
	struct farm_instance	inst;
	struct farm_binding	binding;
	struct farm		farm;
	struct farm_file	file;
};

static void
tiny_init(struct tiny *t, enum farm_domtype type, enum farm_on_crash crash)
{
	memset(t, 0, sizeof *t);
	t->role.name = (char *)"Worker";
	t->role.image = (char *)"roles/worker";
	t->role.image_path = (char *)"/srv/baltic/roles/worker";
	t->role.memory = 96;
	t->role.vcpus = 3;
	t->role.type = type;
	t->role.on_crash = crash;
	t->binding.name = (char *)"w";
	t->inst.name = (char *)"f-w";
	t->inst.binding = &t->binding;
	t->inst.role = &t->role;
	t->farm.name = (char *)"f";
	t->farm.bindings = &t->binding;
	t->farm.nbindings = 1;
	t->farm.instances = &t->inst;
	t->farm.ninstances = 1;
	t->file.farms = &t->farm;
	t->file.nfarms = 1;
}

/* ---- reading an xl config back with libxlutil ----------------------- */

static XLU_Config *
xl_parse(const struct domcfg *cfg)
{
	XLU_Config	*xlu;
	char		*text;

	text = domcfg_xl_string(cfg);
	assert_non_null(text);
	xlu = xlu_cfg_init(stderr, "test.cfg");
	assert_non_null(xlu);
	assert_int_equal(xlu_cfg_readdata(xlu, text, (int)strlen(text)), 0);
	free(text);
	return xlu;
}

static void
assert_xl_string(XLU_Config *xlu, const char *key, const char *want)
{
	const char	*v = NULL;
	int		 r;

	r = xlu_cfg_get_string(xlu, key, &v, 1);
	if (want == NULL) {
		assert_int_not_equal(r, 0);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(v, want);
}

static void
assert_xl_long(XLU_Config *xlu, const char *key, long want)
{
	long	v = -1;

	assert_int_equal(xlu_cfg_get_long(xlu, key, &v, 0), 0);
	assert_int_equal(v, want);
}

/* Every field of cfg, as xl reads it. */
static void
assert_xl_roundtrip(const struct domcfg *cfg)
{
	XLU_Config	*xlu = xl_parse(cfg);

	assert_xl_string(xlu, "name", cfg->name);
	assert_xl_string(xlu, "type", cfg->type == FARM_DOM_PVH ? "pvh" :
	    "pv");
	assert_xl_string(xlu, "kernel", cfg->kernel);
	assert_xl_string(xlu, "ramdisk", cfg->ramdisk);
	assert_xl_string(xlu, "extra", cfg->extra);
	assert_xl_long(xlu, "memory", cfg->memory);
	assert_xl_long(xlu, "maxmem", cfg->memory);
	assert_xl_long(xlu, "vcpus", cfg->vcpus);
	assert_xl_string(xlu, "on_poweroff",
	    domcfg_action_name(cfg->on_poweroff));
	assert_xl_string(xlu, "on_reboot",
	    domcfg_action_name(cfg->on_reboot));
	assert_xl_string(xlu, "on_crash", domcfg_action_name(cfg->on_crash));
	assert_xl_string(xlu, "cpuid", cfg->cpuid);
	xlu_cfg_destroy(xlu);
}

/* ---- translation of the hand-built tree ---------------------------- */

static void
test_translate_pv(void **state)
{
	struct tiny	t;
	struct domcfg	cfg;

	(void)state;
	tiny_init(&t, FARM_DOM_PV, FARM_CRASH_RESTART);
	domcfg_init(&cfg);
	assert_int_equal(translate_instance(&t.file, &t.farm, &t.inst, &cfg),
	    0);
	assert_string_equal(cfg.name, "f-w");
	assert_int_equal(cfg.type, FARM_DOM_PV);
	assert_string_equal(cfg.kernel, "/srv/baltic/roles/worker/build/vmlinux");
	assert_string_equal(cfg.ramdisk,
	    "/srv/baltic/roles/worker/build/initrd.cpio");
	assert_string_equal(cfg.extra,
	    "console=hvc0 baltic.farm=f baltic.instance=f-w");
	assert_null(cfg.cpuid);
	assert_int_equal(cfg.memory, 96);
	assert_int_equal(cfg.vcpus, 3);
	assert_int_equal(cfg.on_poweroff, DOMCFG_DESTROY);
	assert_int_equal(cfg.on_crash, DOMCFG_RESTART);
	assert_xl_roundtrip(&cfg);
	domcfg_dispose(&cfg);
	domcfg_dispose(&cfg);
}

static void
test_translate_pvh(void **state)
{
	struct tiny	t;
	struct domcfg	cfg;
	XLU_Config	*xlu;

	(void)state;
	tiny_init(&t, FARM_DOM_PVH, FARM_CRASH_PRESERVE);
	domcfg_init(&cfg);
	assert_int_equal(translate_instance(&t.file, &t.farm, &t.inst, &cfg),
	    0);
	assert_int_equal(cfg.type, FARM_DOM_PVH);
	assert_string_equal(cfg.cpuid, "host,rdtscp=0");
	assert_int_equal(cfg.on_crash, DOMCFG_PRESERVE);
	assert_xl_roundtrip(&cfg);
	xlu = xl_parse(&cfg);
	assert_xl_string(xlu, "type", "pvh");
	assert_xl_string(xlu, "on_crash", "preserve");
	xlu_cfg_destroy(xlu);
	domcfg_dispose(&cfg);
}

static void
test_translate_crash_destroy(void **state)
{
	struct tiny	t;
	struct domcfg	cfg;
	XLU_Config	*xlu;

	(void)state;
	tiny_init(&t, FARM_DOM_PV, FARM_CRASH_DESTROY);
	domcfg_init(&cfg);
	assert_int_equal(translate_instance(&t.file, &t.farm, &t.inst, &cfg),
	    0);
	xlu = xl_parse(&cfg);
	assert_xl_string(xlu, "on_crash", "destroy");
	assert_xl_string(xlu, "on_poweroff", "destroy");
	xlu_cfg_destroy(xlu);
	domcfg_dispose(&cfg);
}

static void
test_translate_no_image(void **state)
{
	struct tiny	t;
	struct domcfg	cfg;

	(void)state;
	tiny_init(&t, FARM_DOM_PV, FARM_CRASH_RESTART);
	t.role.image = t.role.image_path = NULL;
	domcfg_init(&cfg);
	assert_int_equal(translate_instance(&t.file, &t.farm, &t.inst, &cfg),
	    -1);
	domcfg_dispose(&cfg);
}

/* A relative image path that does not exist yet is made absolute. */
static void
test_image_dir_relative(void **state)
{
	struct tiny	 t;
	char		 cwd[PATH_MAX], *want, *dir;

	(void)state;
	tiny_init(&t, FARM_DOM_PV, FARM_CRASH_RESTART);
	t.role.image_path = (char *)"no/such/role";
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_true(asprintf(&want, "%s/no/such/role", cwd) != -1);
	dir = translate_image_dir(&t.role);
	assert_string_equal(dir, want);
	free(dir);
	free(want);
}

/* Quotes, backslashes and control bytes survive xl's parser. */
static void
test_xl_quoting(void **state)
{
	struct domcfg	cfg;

	(void)state;
	domcfg_init(&cfg);
	cfg.name = strdup("a\"b\\c");
	cfg.kernel = strdup("/dir with space/\"q\"/vmlinux");
	cfg.ramdisk = strdup("/x/initrd\tcpio");
	cfg.extra = strdup("console=hvc0 x=\\n\n");
	cfg.memory = 1;
	cfg.vcpus = 1;
	assert_xl_roundtrip(&cfg);
	free(cfg.name);
	cfg.name = strdup("bell\a");
	assert_null(domcfg_xl_string(&cfg));
	domcfg_dispose(&cfg);
}

/* ---- libxl ---------------------------------------------------------- */

static void
assert_libxl(const struct domcfg *cfg, const libxl_domain_config *dc)
{
	const libxl_domain_build_info	*b = &dc->b_info;
	libxl_domain_type		 type;

	type = cfg->type == FARM_DOM_PVH ? LIBXL_DOMAIN_TYPE_PVH :
	    LIBXL_DOMAIN_TYPE_PV;
	assert_int_equal(dc->c_info.type, type);
	assert_int_equal(b->type, type);
	assert_string_equal(dc->c_info.name, cfg->name);
	assert_string_equal(b->kernel, cfg->kernel);
	assert_string_equal(b->ramdisk, cfg->ramdisk);
	assert_string_equal(b->cmdline, cfg->extra);
	assert_int_equal(b->max_memkb, (uint64_t)cfg->memory * 1024);
	assert_int_equal(b->target_memkb, (uint64_t)cfg->memory * 1024);
	assert_int_equal(b->max_vcpus, cfg->vcpus);
	assert_int_equal(dc->on_poweroff, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
	assert_int_equal(dc->on_reboot, LIBXL_ACTION_ON_SHUTDOWN_RESTART);
	if (cfg->cpuid != NULL)
		assert_non_null(b->cpuid);
	else
		assert_null(b->cpuid);
}

static void
test_libxl_no_ctx(void **state)
{
	static const struct {
		enum farm_domtype		type;
		enum farm_on_crash		crash;
		libxl_action_on_shutdown	want;
	} cases[] = {
		{ FARM_DOM_PV, FARM_CRASH_RESTART,
		    LIBXL_ACTION_ON_SHUTDOWN_RESTART },
		{ FARM_DOM_PV, FARM_CRASH_DESTROY,
		    LIBXL_ACTION_ON_SHUTDOWN_DESTROY },
		{ FARM_DOM_PVH, FARM_CRASH_PRESERVE,
		    LIBXL_ACTION_ON_SHUTDOWN_PRESERVE },
	};
	struct tiny		t;
	struct domcfg		cfg;
	libxl_domain_config	dc;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tiny_init(&t, cases[i].type, cases[i].crash);
		domcfg_init(&cfg);
		assert_int_equal(translate_instance(&t.file, &t.farm, &t.inst,
		    &cfg), 0);
		libxl_domain_config_init(&dc);
		assert_int_equal(domcfg_to_libxl(NULL, &cfg, &dc), 0);
		assert_libxl(&cfg, &dc);
		assert_int_equal(dc.on_crash, cases[i].want);
		/* Left for libxl to fill with all of max_vcpus. */
		assert_int_equal(dc.b_info.avail_vcpus.size, 0);
		libxl_domain_config_dispose(&dc);
		domcfg_dispose(&cfg);
	}
}

static void
test_libxl_bad_cpuid(void **state)
{
	struct tiny		t;
	struct domcfg		cfg;
	libxl_domain_config	dc;

	(void)state;
	tiny_init(&t, FARM_DOM_PVH, FARM_CRASH_RESTART);
	domcfg_init(&cfg);
	assert_int_equal(translate_instance(&t.file, &t.farm, &t.inst, &cfg),
	    0);
	free(cfg.cpuid);
	cfg.cpuid = strdup("rdtscp=0");
	libxl_domain_config_init(&dc);
	assert_int_equal(domcfg_to_libxl(NULL, &cfg, &dc), ERROR_INVAL);
	libxl_domain_config_dispose(&dc);
	domcfg_dispose(&cfg);
}

/* The avail_vcpus bitmap needs a libxl_ctx, so a Xen host. */
static void
test_libxl_ctx_vcpus(void **state)
{
	struct tiny		 t;
	struct domcfg		 cfg;
	libxl_domain_config	 dc;
	libxl_ctx		*ctx = NULL;
	xentoollog_logger	*lg;
	int			 i;

	(void)state;
	lg = (xentoollog_logger *)xtl_createlogger_stdiostream(stderr,
	    XTL_CRITICAL, 0);
	if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, lg) != 0) {
		if (lg != NULL)
			xtl_logger_destroy(lg);
		print_message("no libxl_ctx (not in dom0): avail_vcpus "
		    "bitmap not tested\n");
		skip();
	}
	tiny_init(&t, FARM_DOM_PV, FARM_CRASH_RESTART);
	domcfg_init(&cfg);
	assert_int_equal(translate_instance(&t.file, &t.farm, &t.inst, &cfg),
	    0);
	libxl_domain_config_init(&dc);
	assert_int_equal(domcfg_to_libxl(ctx, &cfg, &dc), 0);
	assert_libxl(&cfg, &dc);
	for (i = 0; i < (int)dc.b_info.avail_vcpus.size * 8; i++)
		assert_int_equal(libxl_bitmap_test(&dc.b_info.avail_vcpus, i),
		    i < 3);
	libxl_domain_config_dispose(&dc);
	domcfg_dispose(&cfg);
	libxl_ctx_free(ctx);
	xtl_logger_destroy(lg);
}

/* ---- the examples --------------------------------------------------- */

struct want_inst {
	const char	*name, *role, *binding, *dir;
	unsigned	 memory;
};

struct example {
	const char		*file, *farm;
	const char		*payment_kind, *processing_kind;
	struct want_inst	 inst[4];
	size_t			 ninst;
};

#define PAY(f)	{ f "-payment", "Payment", "payment", "payment", 128 }
#define ENTRY(f) { f "-entry", "OrderEntry", "entry", "order-entry", 128 }
#define PROC(n)	{ n, "OrderProcessing", "processing", "order-processing", 128 }

static const struct example examples[] = {
	{ "isolated.farm", "eop_isolated", "vm", "vm",
	    { PAY("eop_isolated"), PROC("eop_isolated-processing"),
	    ENTRY("eop_isolated") }, 3 },
	{ "remote-payment.farm", "eop_remote", "remote", "vm",
	    { PROC("eop_remote-processing"), ENTRY("eop_remote") }, 2 },
	{ "or.farm", "eop_or", "vm", "or",
	    { PAY("eop_or"), PROC("eop_or-processing-1"),
	    PROC("eop_or-processing-2"), ENTRY("eop_or") }, 4 },
	{ "par.farm", "eop_par", "vm", "par",
	    { PAY("eop_par"), PROC("eop_par-processing-1"),
	    PROC("eop_par-processing-2"), ENTRY("eop_par") }, 4 },
	{ "ref.farm", "eop_ref", "vm", "ref",
	    { PAY("eop_ref"), PROC("eop_ref-processing-1"),
	    PROC("eop_ref-processing-2"), ENTRY("eop_ref") }, 4 },
};

static struct farm_file *
load_example(const struct example *ex, struct farm **f_r)
{
	struct farm_file	*file;
	struct farm_diags	 d;
	char			*path;

	assert_true(asprintf(&path, "%s/%s", EXAMPLES, ex->file) != -1);
	farm_diags_init(&d);
	file = farm_load(path, &d);
	if (d.n != 0)
		farm_diags_print(&d, stderr);
	assert_non_null(file);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 0);
	farm_diags_dispose(&d);
	free(path);
	assert_int_equal(file->nfarms, 1);
	*f_r = &file->farms[0];
	assert_string_equal((*f_r)->name, ex->farm);
	return file;
}

static const struct farm_instance *
find_inst(const struct farm *f, const char *name)
{
	size_t	i;

	for (i = 0; i < f->ninstances; i++) {
		if (strcmp(f->instances[i].name, name) == 0)
			return &f->instances[i];
	}
	fail_msg("no instance %s in farm %s", name, f->name);
	return NULL;
}

static char *
role_dir(const char *dir)
{
	char	*p, *abs;

	assert_true(asprintf(&p, "%s/roles/%s", EXAMPLES, dir) != -1);
	abs = realpath(p, NULL);
	assert_non_null(abs);
	free(p);
	return abs;
}

static void
test_examples_xl(void **state)
{
	const struct example		*ex;
	const struct want_inst		*w;
	const struct farm_instance	*inst;
	struct farm_file		*file;
	struct farm			*f;
	struct domcfg			 cfg;
	libxl_domain_config		 dc;
	char				*dir, *s;
	size_t				 i, k;

	(void)state;
	for (i = 0; i < sizeof examples / sizeof examples[0]; i++) {
		ex = &examples[i];
		file = load_example(ex, &f);
		assert_int_equal(f->ninstances, ex->ninst);
		for (k = 0; k < ex->ninst; k++) {
			w = &ex->inst[k];
			inst = find_inst(f, w->name);
			domcfg_init(&cfg);
			assert_int_equal(translate_instance(file, f, inst,
			    &cfg), 0);
			assert_string_equal(cfg.name, w->name);
			assert_int_equal(cfg.type, FARM_DOM_PV);
			assert_null(cfg.cpuid);
			assert_int_equal(cfg.memory, w->memory);
			assert_int_equal(cfg.vcpus, 1);
			assert_int_equal(cfg.on_crash, DOMCFG_RESTART);
			assert_int_equal(cfg.on_poweroff, DOMCFG_DESTROY);
			dir = role_dir(w->dir);
			assert_true(asprintf(&s, "%s/build/vmlinux", dir) != -1);
			assert_string_equal(cfg.kernel, s);
			free(s);
			assert_true(asprintf(&s, "%s/build/initrd.cpio",
			    dir) != -1);
			assert_string_equal(cfg.ramdisk, s);
			free(s);
			free(dir);
			assert_true(asprintf(&s, "console=hvc0 baltic.farm=%s "
			    "baltic.instance=%s", ex->farm, w->name) != -1);
			assert_string_equal(cfg.extra, s);
			free(s);
			assert_xl_roundtrip(&cfg);

			libxl_domain_config_init(&dc);
			assert_int_equal(domcfg_to_libxl(NULL, &cfg, &dc), 0);
			assert_libxl(&cfg, &dc);
			assert_int_equal(dc.on_crash,
			    LIBXL_ACTION_ON_SHUTDOWN_RESTART);
			libxl_domain_config_dispose(&dc);
			domcfg_dispose(&cfg);
		}
		farm_file_free(file);
	}
}

/* ---- the JSON graph ------------------------------------------------- */

static yajl_val
jget(yajl_val v, const char *key)
{
	const char	*path[] = { key, NULL };
	yajl_val	 r;

	assert_non_null(v);
	assert_true(YAJL_IS_OBJECT(v));
	r = yajl_tree_get(v, path, yajl_t_any);
	if (r == NULL)
		fail_msg("no key %s", key);
	return r;
}

static const char *
jstr(yajl_val v, const char *key)
{
	yajl_val	s = jget(v, key);

	assert_true(YAJL_IS_STRING(s));
	return YAJL_GET_STRING(s);
}

static yajl_val
jarr(yajl_val v, const char *key, size_t want)
{
	yajl_val	a = jget(v, key);

	assert_true(YAJL_IS_ARRAY(a));
	assert_int_equal(YAJL_GET_ARRAY(a)->len, want);
	return a;
}

static yajl_val
jat(yajl_val a, size_t i)
{
	return YAJL_GET_ARRAY(a)->values[i];
}

static yajl_val
json_binding(yajl_val root, const char *name)
{
	yajl_val	b = jget(root, "bindings");
	size_t		i;

	for (i = 0; i < YAJL_GET_ARRAY(b)->len; i++) {
		if (strcmp(jstr(jat(b, i), "name"), name) == 0)
			return jget(jat(b, i), "expr");
	}
	fail_msg("no binding %s", name);
	return NULL;
}

/* A two-branch combinator of OrderProcessing VMs named <farm>-processing-n. */
static void
assert_json_branches(yajl_val comb, const char *farm)
{
	yajl_val	br = jarr(comb, "branches", 2);
	char		*want;
	size_t		i;

	for (i = 0; i < 2; i++) {
		assert_string_equal(jstr(jat(br, i), "kind"), "vm");
		assert_string_equal(jstr(jat(br, i), "role"),
		    "OrderProcessing");
		assert_true(asprintf(&want, "%s-processing-%zu", farm,
		    i + 1) != -1);
		assert_string_equal(jstr(jat(br, i), "instance"), want);
		free(want);
		jarr(jat(br, i), "wires", 0);
	}
}

static void
assert_json_example(const struct example *ex, yajl_val root)
{
	yajl_val	insts, e, wires, imports, ifaces, exps, x = NULL, op;
	size_t		i, k;
	const char	*name;
	char		*dir;

	assert_string_equal(jstr(root, "farm"), ex->farm);

	insts = jarr(root, "instances", ex->ninst);
	for (k = 0; k < ex->ninst; k++) {
		for (i = 0; i < ex->ninst; i++) {
			x = jat(insts, i);
			if (strcmp(jstr(x, "name"), ex->inst[k].name) == 0)
				break;
		}
		assert_true(i < ex->ninst);
		assert_string_equal(jstr(x, "role"), ex->inst[k].role);
		assert_string_equal(jstr(x, "binding"), ex->inst[k].binding);
		assert_string_equal(jstr(x, "type"), "pv");
		assert_string_equal(jstr(x, "on_crash"), "restart");
		assert_int_equal(YAJL_GET_INTEGER(jget(x, "memory")),
		    ex->inst[k].memory);
		assert_int_equal(YAJL_GET_INTEGER(jget(x, "vcpus")), 1);
		dir = role_dir(ex->inst[k].dir);
		assert_string_equal(jstr(x, "image"), dir);
		free(dir);
		jarr(x, "exports", 1);
		if (strcmp(ex->inst[k].role, "OrderEntry") == 0) {
			assert_string_equal(YAJL_GET_STRING(jat(jget(x,
			    "exports"), 0)), "ISubmitOrder");
			imports = jarr(x, "imports", 2);
			assert_string_equal(jstr(jat(imports, 0), "interface"),
			    "IPayment");
			e = jget(jat(imports, 0), "to");
			assert_string_equal(jstr(e, "kind"), "name");
			assert_string_equal(jstr(e, "name"), "payment");
			assert_string_equal(jstr(jat(imports, 1), "interface"),
			    "IOrderProcessing");
			e = jget(jat(imports, 1), "to");
			assert_string_equal(jstr(e, "name"), "processing");
		} else
			jarr(x, "imports", 0);
	}

	jarr(root, "bindings", 3);
	e = json_binding(root, "payment");
	assert_string_equal(jstr(e, "kind"), ex->payment_kind);
	if (strcmp(ex->payment_kind, "remote") == 0) {
		assert_string_equal(jstr(e, "interface"), "IPayment");
		assert_string_equal(jstr(e, "url"), "http://127.0.0.1:9090");
	} else
		assert_string_equal(jstr(e, "role"), "Payment");

	e = json_binding(root, "processing");
	name = ex->processing_kind;
	assert_string_equal(jstr(e, "kind"), name);
	if (strcmp(name, "ref") == 0) {
		e = jget(e, "target");
		assert_string_equal(jstr(e, "kind"), "or");
		name = "or";
	}
	if (strcmp(name, "or") == 0) {
		assert_string_equal(jstr(e, "policy"), "roundrobin");
		assert_json_branches(e, ex->farm);
	} else if (strcmp(name, "par") == 0) {
		assert_json_branches(e, ex->farm);
		assert_null(yajl_tree_get(e, (const char *[]){ "policy", NULL },
		    yajl_t_any));
	} else
		assert_string_equal(jstr(e, "role"), "OrderProcessing");

	e = json_binding(root, "entry");
	assert_string_equal(jstr(e, "kind"), "vm");
	assert_string_equal(jstr(e, "role"), "OrderEntry");
	wires = jarr(e, "wires", 2);
	assert_string_equal(jstr(jat(wires, 0), "import"), "IPayment");
	assert_string_equal(jstr(jat(wires, 1), "import"), "IOrderProcessing");

	exps = jarr(root, "exports", 1);
	assert_string_equal(jstr(jat(exps, 0), "binding"), "entry");
	assert_string_equal(jstr(jat(exps, 0), "interface"), "ISubmitOrder");
	assert_string_equal(jstr(jat(exps, 0), "addr"), "127.0.0.1:8080");

	ifaces = jarr(root, "interfaces", 3);
	assert_string_equal(jstr(jat(ifaces, 0), "name"), "IPayment");
	op = jat(jarr(jat(ifaces, 0), "ops", 1), 0);
	assert_string_equal(jstr(op, "name"), "Authorize");
	assert_string_equal(jstr(op, "result"), "string");
	x = jat(jarr(op, "params", 1), 0);
	assert_string_equal(jstr(x, "name"), "order");
	assert_string_equal(jstr(x, "type"), "string");
	assert_string_equal(jstr(jat(ifaces, 1), "name"), "IOrderProcessing");
	assert_string_equal(jstr(jat(ifaces, 2), "name"), "ISubmitOrder");
}

static void
test_examples_json(void **state)
{
	const struct example	*ex;
	struct farm_file	*file;
	struct farm		*f;
	char			*json, *json2, err[256];
	size_t			 len, len2, i;
	yajl_val		 root;

	(void)state;
	for (i = 0; i < sizeof examples / sizeof examples[0]; i++) {
		ex = &examples[i];
		file = load_example(ex, &f);
		assert_int_equal(graph_json(file, f, true, &json, &len), 0);
		assert_int_equal(strlen(json), len);
		root = yajl_tree_parse(json, err, sizeof err);
		if (root == NULL)
			fail_msg("%s: %s", ex->file, err);
		assert_json_example(ex, root);
		yajl_tree_free(root);

		/* Compact and pretty are the same document. */
		assert_int_equal(graph_json(file, f, false, &json2, &len2), 0);
		assert_null(strchr(json2, '\n'));
		root = yajl_tree_parse(json2, err, sizeof err);
		assert_non_null(root);
		assert_json_example(ex, root);
		yajl_tree_free(root);
		free(json2);
		free(json);
		farm_file_free(file);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate_pv),
		cmocka_unit_test(test_translate_pvh),
		cmocka_unit_test(test_translate_crash_destroy),
		cmocka_unit_test(test_translate_no_image),
		cmocka_unit_test(test_image_dir_relative),
		cmocka_unit_test(test_xl_quoting),
		cmocka_unit_test(test_libxl_no_ctx),
		cmocka_unit_test(test_libxl_bad_cpuid),
		cmocka_unit_test(test_libxl_ctx_vcpus),
		cmocka_unit_test(test_examples_xl),
		cmocka_unit_test(test_examples_json),
	};

	log_init("test-translate", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
