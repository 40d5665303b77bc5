-- A search as a new reader makes it: the URL given to wrk with a parameter the site ignores and
-- no request repeats, so that every request is searched for in the database instead of being
-- answered from the page cache (the "repeated" row measures that).
dofile("bench/wrk/report.lua")

local sent = 0

function request()
  sent = sent + 1
  return wrk.format("GET", string.format("%s&n=%d-%d", wrk.path, thread_number, sent))
end
