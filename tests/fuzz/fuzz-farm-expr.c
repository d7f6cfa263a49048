/*
 * fuzz-farm-expr.c: farm_check_expr, the parser and checker behind
 * `baltic set FARM REF EXPR`, on arbitrary expression text against a
 * fixed farm that checks.
 *
 * The first input byte picks the interfaces the expression must provide
 * (those of one of the farm's refs, or all of them, or none); the rest
 * is the text.  Invariants: an accepted expression provides every needed
 * interface and renders back to text; the farm is left as it was (the
 * use counts farm_check_expr saves and restores).
 */
#include <string.h>

#include "farm/farm.h"
#include "fuzz.h"

static const char farm_text[] =
"interface IPayment         { Authorize(order: string) -> string }\n"
"interface IOrderProcessing { Process(order: string) -> string\n"
"                             idempotent Status(id: int) -> bool }\n"
"interface ISubmitOrder     { SubmitOrder(order: string) -> string }\n"
"interface IAudit           { Log(what: string, n: int, b: bytes) }\n"
"\n"
"role OrderEntry {\n"
"	image \"roles/order-entry\"; memory 64\n"
"	exports ISubmitOrder\n"
"	imports IPayment, IOrderProcessing\n"
"}\n"
"role OrderProcessing { image \"roles/op\"; exports IOrderProcessing, IAudit }\n"
"role Payment { image \"roles/payment\"; exports IPayment; imports IAudit }\n"
"\n"
"farm eop {\n"
"	bank       = remote IPayment \"http://127.0.0.1:9090/pay\"\n"
"	audit      = remote IAudit \"http://[::1]:9191\"\n"
"	p1         = vm OrderProcessing\n"
"	p2         = vm OrderProcessing\n"
"	pay        = vm Payment { IAudit = audit }\n"
"	payment    = ref or failover(pay, bank)\n"
"	processing = ref or roundrobin(p1, p2)\n"
"	fast       = par(p1, p2)\n"
"	entry      = vm OrderEntry { IPayment = payment, IOrderProcessing = processing }\n"
"	export entry.ISubmitOrder at \"127.0.0.1:8080\"\n"
"	export fast.IAudit\n"
"}\n";

static struct farm_file	*ff;
static struct farm	*farm;
static unsigned		*uses0;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct farm_diags	d;
	size_t			i;

	(void)argc;
	(void)argv;
	farm_diags_init(&d);
	ff = farm_parse("fixed.farm", farm_text, sizeof farm_text - 1, &d);
	farm_check(ff, &d);
	if (d.n != 0) {
		farm_diags_print(&d, stderr);
		abort();
	}
	farm_diags_dispose(&d);
	farm = farm_find_farm(ff, "eop");
	FUZZ_CHECK(farm != NULL);
	uses0 = calloc(farm->nbindings, sizeof *uses0);
	FUZZ_CHECK(uses0 != NULL);
	for (i = 0; i < farm->nbindings; i++)
		uses0[i] = farm->bindings[i].uses;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct farm_iface	**needed = NULL;
	struct farm_binding	 *b;
	struct farm_diags	  d;
	struct farm_expr	 *e;
	char			 *text, *s;
	size_t			  nneeded = 0, i, sel;

	if (ff == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	sel = data[0] % (farm->nbindings + 2);
	if (sel < farm->nbindings) {
		b = &farm->bindings[sel];
		if (b->expr->kind == FARM_E_REF)
			nneeded = farm_ref_needs(farm, b, &needed);
	} else if (sel == farm->nbindings) {
		needed = calloc(ff->nifaces, sizeof *needed);
		FUZZ_CHECK(needed != NULL);
		for (i = 0; i < ff->nifaces; i++)
			needed[i] = &ff->ifaces[i];
		nneeded = ff->nifaces;
	}
	/* farm_check_expr takes a C string, as `baltic set` gets one. */
	text = malloc(size);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	farm_diags_init(&d);
	e = farm_check_expr(ff, farm, text, needed, nneeded, &d);
	if (e != NULL) {
		FUZZ_CHECK(d.nerrors == 0);
		for (i = 0; i < nneeded; i++)
			FUZZ_CHECK(farm_expr_provides(e, needed[i]));
		s = farm_expr_str(e);
		FUZZ_CHECK(s != NULL && *s != '\0');
		free(s);
		for (i = 0; i < farm->nbindings; i++)
			(void)farm_expr_refers_to(e, &farm->bindings[i]);
		farm_expr_free(e);
	} else
		FUZZ_CHECK(d.nerrors > 0);
	for (i = 0; i < farm->nbindings; i++)
		FUZZ_CHECK(farm->bindings[i].uses == uses0[i]);
	farm_diags_dispose(&d);
	free(needed);
	free(text);
	return 0;
}
