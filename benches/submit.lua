-- wrk script shared by benches/load.sh, soak.sh and capacity.sh: `POST /api/v1/comments`
-- with real comment bodies, a new author and client IP per request, every acknowledged id
-- written down, and one WRK_RESULT line of JSON at the end.
--
-- wrk -s benches/submit.lua URL -- BODIES RUN ACKS THREADS
--   BODIES   one JSON string per line (a comment body), rotated through
--   RUN      a number unique in the script's run (different authors, IPs, rotation start)
--   ACKS     prefix of the ack files: each thread writes ACKS-TID.ids, an id per 2xx
--   THREADS  wrk's thread count (each thread starts its rotation at its share of BODIES)
--
-- Per request: the next body, author `Reader RUN-TID-SEQ`, client IP `X-Forwarded-For`
-- from a /64 of its own (IPv6 clients are rate-limited by /64). WRK_RESULT: requests,
-- duration, 2xx and other answers by status, socket errors by kind, latency quantiles
-- (p50/p90/p99, and fine ones up to 99.99 for merging several wrk processes' runs).
local threads, next_tid = {}, 0

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   table.insert(threads, thread)
end

function init(args)
   run = tonumber(args[2])
   bodies = {}
   for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
   n = #bodies
   pos = math.floor(n * tid / tonumber(args[4])) + run * 7919
   seq, ok, other, statuses = 0, 0, 0, {}
   acks = io.open(args[3] .. "-" .. tid .. ".ids", "w")
   acks:setvbuf("full")
end

function request()
   seq = seq + 1
   pos = pos % n + 1
   local who = run .. "-" .. tid .. "-" .. seq
   local ip = string.format("2001:%x:%x:%x::1", run % 65536,
      tid * 256 + math.floor(seq / 65536) % 256, seq % 65536)
   local body = '{"site":"load","article_id":"article-' .. (seq % 97)
      .. '","author_name":"Reader ' .. who
      .. '","author_email":"reader-' .. who .. '@example.com","body":' .. bodies[pos] .. '}'
   return wrk.format("POST", nil,
      {["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status >= 200 and status < 300 then
      ok = ok + 1
      local id = string.match(body, '"id":(%d+)')
      if id then acks:write(id, "\n") end
   else
      other = other + 1
   end
end

function done(summary, latency, requests)
   local ok_all, other_all, codes = 0, 0, {}
   for _, t in ipairs(threads) do
      ok_all = ok_all + t:get("ok")
      other_all = other_all + t:get("other")
      for code, count in pairs(t:get("statuses")) do
         codes[code] = (codes[code] or 0) + count
      end
   end
   local parts = {}
   for code, count in pairs(codes) do parts[#parts + 1] = string.format('"%d":%d', code, count) end
   local ps = {}
   for p = 1, 99 do ps[#ps + 1] = p end
   for p = 991, 999 do ps[#ps + 1] = p / 10 end
   ps[#ps + 1] = 99.95
   ps[#ps + 1] = 99.99
   local q = {}
   for _, p in ipairs(ps) do q[#q + 1] = string.format('[%g,%d]', p, latency:percentile(p)) end
   q[#q + 1] = string.format('[100,%d]', latency.max)
   local e = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests":%d,"duration_us":%d,"ok":%d,"non2xx":%d,"statuses":{%s},'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"min_us":%d,"mean_us":%.1f,'
      .. '"quantiles":[%s]}\n',
      summary.requests, summary.duration, ok_all, other_all, table.concat(parts, ","),
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.min, latency.mean, table.concat(q, ",")))
end
