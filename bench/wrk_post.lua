-- wrk script for bench/ingest.py: POST /messages with clean async JSON messages.
--
-- Every request body is built once per thread in init() and then rotated: wrk spends its time on the
-- socket, not in Lua. Users rotate too, so a per-user rate limit (USER_RATE) is spread over many users.
-- done() prints one line "WRK_JSON {...}" with the numbers bench/ingest.py reads: wrk's own summary,
-- latency percentiles in microseconds, and the non-2xx/3xx count (wrk counts those as status errors).

local texts = {
    "The delivery arrived on time, thanks a lot!",
    "Could you tell me when the next release is planned?",
    "Der Termin am Montag passt mir gut, danke.",
    "Le colis est arrivé en bon état, merci beaucoup.",
    "The meeting notes are in the shared folder, see you tomorrow.",
}

local requests = {}
local counter = 0
local thread_id = 0
local next_thread = 0

function setup(thread)
    thread:set("thread_id", next_thread)
    next_thread = next_thread + 1
end

function init(args)
    local headers = { ["Content-Type"] = "application/json" }
    local n = 0
    for u = 1, 16 do
        for t = 1, #texts do
            n = n + 1
            local user = string.format("bench-%d-%d", thread_id or 0, u)
            local body = string.format('{"user": "%s", "text": "%s", "mode": "async"}', user, texts[t])
            requests[n] = wrk.format("POST", "/messages", headers, body)
        end
    end
end

function request()
    counter = counter + 1
    return requests[(counter % #requests) + 1]
end

function done(summary, latency, requests_)
    local e = summary.errors
    io.write(string.format(
        'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
        '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
        '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d, "mean": %.1f}}\n',
        summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
        latency.max, latency.mean))
end
