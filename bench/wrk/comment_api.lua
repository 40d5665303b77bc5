-- A reader's comment through the API, without a token, so that it passes the whole intake as
-- the form's does (only the form token check is the form's own). Bodies never repeat, and
-- articles rotate through the pool, as in comment_form.lua.
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
  local body = '{"author_name":"Reader ' .. n .. '","author_email":"api-' .. n
    .. '@example.org","body":"Comment ' .. n .. ' on this report: the figures match what I saw."}'
  return wrk.format("POST", "/api/v1/articles/" .. row[1] .. "/comments", {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = reader_address(sent),
  }, body)
end
