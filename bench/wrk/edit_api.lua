-- An editor saving an article's body through the API with If-Match, as docs/API.md asks of a
-- client that must not overwrite someone else's save. Each thread edits its own articles from
-- the pool (lines "ID ETAG"), one request at a time per article, and learns each new ETag
-- from the answer; a connection never waits for an article, as a thread has twice as many
-- articles as connections.
dofile("bench/wrk/report.lua")
count_statuses()

local ready, tags, token, sent

function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  token = os.getenv("BENCH_TOKEN")
  ready, tags, sent = {}, {}, 0
  for i, row in ipairs(read_pool(os.getenv("BENCH_POOL"))) do
    if (i - 1) % threads == thread_number then
      ready[#ready + 1] = row[1]
      tags[row[1]] = row[2]
    end
  end
end

function request()
  sent = sent + 1
  -- If every article is in flight (it never is with the pool bench.py writes), the request
  -- goes to one anyway and its 412 shows as an error.
  local id = table.remove(ready, 1) or next(tags)
  local body = '{"body_markdown":"Officials in Baghdad confirmed the figures on Tuesday. (Edit '
    .. thread_number .. "-" .. sent .. ')\\n\\nThe ministry said the agreement would be '
    .. 'reviewed by parliament within the month, according to three people who attended.\\n\\n'
    .. 'Opposition groups questioned the timing; the governor declined to comment."}'
  return wrk.format("PATCH", "/api/v1/articles/" .. id, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["If-Match"] = tags[id],
  }, body)
end

function response(status, headers, body)
  local id = body:match('^{"id":(%d+)')
  local tag = headers["etag"] or headers["ETag"]
  if status == 200 and id and tag then
    tags[id] = tag
    ready[#ready + 1] = id
  end
end
