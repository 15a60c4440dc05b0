-- wrk script: GET /v1/chips/{chip} for random chips among the NCHIPS stored.
-- Chip i (1..NCHIPS) has the 16-byte ID = ASCII of printf("%016d", i)
-- (see gen.sql), so its URL form is the hex of those 16 digits.
local n = tonumber(os.getenv("NCHIPS") or "1000000")
local tid = 0

setup = function(thread)
	tid = tid + 1
	thread:set("seed", tid)
end

init = function(args)
	math.randomseed(os.time() + (seed or 0))
end

local function chip_hex(i)
	return (string.format("%016d", i):gsub(".", function(c)
		return string.format("%02x", c:byte())
	end))
end

request = function()
	return wrk.format("GET", "/v1/chips/" .. chip_hex(math.random(1, n)))
end

done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("requests=%d\nduration_s=%.3f\nrps=%.1f\n",
		summary.requests, summary.duration / 1e6,
		summary.requests / (summary.duration / 1e6)))
	io.write(string.format("p50_ms=%.3f\np99_ms=%.3f\nmax_ms=%.3f\n",
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000))
	io.write(string.format("errors=%d\nnon2xx=%d\nbytes=%d\n",
		e.connect + e.read + e.write + e.timeout, e.status, summary.bytes))
end
