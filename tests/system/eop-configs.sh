#!/bin/bash
# The seed's four EOP configurations, each created on the local backend
# and answering SubmitOrder through its HTTP export; then torn down.
. "$(dirname "$0")/lib.sh"

ex="$top_srcdir/examples/eop"
start_daemon || { not_ok "balticd starts"; finish; exit; }
start_bank 127.0.0.1:18290 || not_ok "bank starts"

port=18201
for cfg in isolated remote-payment or par ref demo; do
	farm_copy "$ex/$cfg.farm" $port |
	    sed "s|127.0.0.1:9090|127.0.0.1:18290|" > "$T/$cfg.farm"
	name=$(sed -n 's/^farm \([A-Za-z0-9_]*\).*/\1/p' "$T/$cfg.farm")
	check "$cfg: baltic create" "$BALTIC" create -q "$T/$cfg.farm"
	out=$(post $port "/$name/ISubmitOrder/SubmitOrder" "order-$cfg")
	expect_match "$cfg: SubmitOrder answered via export" \
	    "^order order-$cfg: authorized:order-$cfg, processed:order-$cfg by $name-.*"$'\n'"200$" "$out"
	out=$("$BALTIC" call "$name" ISubmitOrder.SubmitOrder "cli-$cfg")
	expect_match "$cfg: SubmitOrder answered via baltic call" \
	    "^order cli-$cfg: authorized:cli-$cfg" "$out"
	check "$cfg: create again is idempotent" "$BALTIC" create -q "$T/$cfg.farm"
	check "$cfg: baltic destroy" "$BALTIC" destroy "$name"
	port=$((port + 1))
done
expect_eq "nothing left after the destroys" "" "$(leftovers)"
finish
