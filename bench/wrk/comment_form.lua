-- A reader's comment through the form under an article, as a browser sends it: the form's
-- signed token (fetched by bench.py more than comment_form_min_seconds before the run), the
-- empty hidden field, a name, an address and a body that no other request repeats (the
-- intake refuses the same text twice on an article). Articles rotate through the pool so that
-- the per-article rate limit, left as it is, is not what is measured.
dofile("bench/wrk/report.lua")
count_statuses()

local pool, sent

function init(args)
  pool = read_pool(os.getenv("BENCH_POOL"))
  sent = 0
end

function request()
  sent = sent + 1
  local row = rotate(pool, sent)
  local n = string.format("%d-%d", thread_number, sent)
  local body = "parent_id=&website=&form_token=" .. row[2]
    .. "&author_name=Reader+" .. n
    .. "&author_email=reader-" .. n .. "%40example.org"
    .. "&body=Comment+" .. n .. "+on+this+report%3A+the+figures+match+what+I+saw."
  return wrk.format("POST", "/articles/" .. row[1] .. "/comments", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = reader_address(sent),
  }, body)
end
