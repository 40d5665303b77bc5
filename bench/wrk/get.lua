-- A plain GET of the URL given to wrk; only the figures are added.
dofile("bench/wrk/report.lua")
