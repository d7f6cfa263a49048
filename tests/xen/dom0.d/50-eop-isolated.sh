# eop-isolated: examples/eop/isolated.farm (entry, processing, payment,
# each its own PV guest) answers SubmitOrder; destroyed after.
# boot: fresh
. /test/lib.sh
need_balticd eop-isolated
eop_check isolated 18501
