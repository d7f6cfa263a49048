# eop-ref: examples/eop/ref.farm (processing behind a `ref`) answers
# SubmitOrder; destroyed after.
# boot: fresh
. /test/lib.sh
need_balticd eop-ref
eop_check ref 18505
